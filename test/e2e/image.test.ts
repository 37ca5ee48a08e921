/**
 * The container image built by `npm run image` (scripts/image.sh), without any container runtime:
 * the OCI layout, each platform's config and layers, both binaries running from their own extracted
 * layers (arm64 under qemu-user-static with the layer as its sysroot, amd64 chrooted as the image's
 * user), a push to the loopback registry read back, and the bad-input path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/cluster";
import { k8sBinsEnv } from "../support/k8s-bins";
import { LogCapture } from "../support/logs";

const WORK = join(REPO_ROOT, ".local/image-test");
const LAYOUT = join(WORK, "layout");
const BIN_DIR = join(REPO_ROOT, "dist");
const ARCHES = ["amd64", "arm64"] as const;
const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
const registryBinary = k8sBinsEnv().VWS_BIN_OCI_REGISTRY || undefined;

interface Descriptor { mediaType: string; digest: string; size: number; platform?: { os: string; architecture: string; variant?: string }; annotations?: Record<string, string> }
interface IndexManifest { mediaType: string; manifests: Descriptor[]; annotations?: Record<string, string> }
interface ImageManifest { mediaType: string; config: Descriptor; layers: Descriptor[] }
interface ImageConfig { os: string; architecture: string; created: string; config: { User: string; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string> } }

function run(argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const result = Bun.spawnSync(argv, { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function mustRun(argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}): string {
  const result = run(argv, options);
  if (result.code !== 0) throw new Error(`${argv.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function blobPath(digest: string): string {
  return join(LAYOUT, "blobs", ...digest.split(":"));
}

function readBlob<T>(descriptor: Descriptor): T {
  return JSON.parse(readFileSync(blobPath(descriptor.digest), "utf8")) as T;
}

function imageIndex(): { descriptor: Descriptor; index: IndexManifest } {
  const root = JSON.parse(readFileSync(join(LAYOUT, "index.json"), "utf8")) as IndexManifest;
  expect(root.manifests).toHaveLength(1);
  const descriptor = root.manifests[0]!;
  return { descriptor, index: readBlob<IndexManifest>(descriptor) };
}

function platformImage(arch: string): { manifest: ImageManifest; config: ImageConfig } {
  const descriptor = imageIndex().index.manifests.find((m) => m.platform?.architecture === arch);
  if (!descriptor) throw new Error(`no linux/${arch} manifest in the index`);
  const manifest = readBlob<ImageManifest>(descriptor);
  return { manifest, config: readBlob<ImageConfig>(manifest.config) };
}

const rootfs = (arch: string) => join(WORK, "rootfs", arch);
const revision = mustRun(["git", "rev-parse", "HEAD"]).trim();
let pushed: { registry: string; ref: string } | undefined;
let registry: { stop(): Promise<void>; address: string } | undefined;

async function startRegistry(binary: string): Promise<{ stop(): Promise<void>; address: string }> {
  const logs = new LogCapture(join(REPO_ROOT, ".local/test-logs/image/oci-registry.log"));
  const proc = Bun.spawn([binary], { stdout: "pipe", stderr: "pipe" });
  const decoder = new TextDecoder();
  void (async () => { for await (const chunk of proc.stdout) logs.write(decoder.decode(chunk)); })();
  void (async () => { for await (const chunk of proc.stderr) logs.write(decoder.decode(chunk)); })();
  const line = await logs.waitFor((candidate) => candidate.startsWith("listening on "), 20_000);
  return { address: line.slice("listening on ".length).trim(), stop: async () => { proc.kill("SIGTERM"); await proc.exited; } };
}

beforeAll(async () => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  // Always rebuilt (about 3 s each): a binary left from older sources would test stale code.
  for (const arch of ARCHES) mustRun(["bash", "scripts/build.sh", `linux-${arch}`]);
  const args = ["bash", "scripts/image.sh", "--out", LAYOUT];
  if (registryBinary) {
    registry = await startRegistry(registryBinary);
    pushed = { registry: registry.address, ref: `${registry.address}/vworkspace-operator:e2e` };
    args.push("--push", pushed.ref);
  }
  mustRun(args);
  for (const arch of ARCHES) {
    mkdirSync(rootfs(arch), { recursive: true });
    for (const layer of platformImage(arch).manifest.layers) {
      mustRun(["tar", "--numeric-owner", "--same-owner", "-xzf", blobPath(layer.digest), "-C", rootfs(arch)]);
    }
  }
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

describe("npm run image: the OCI layout", () => {
  test("is an OCI layout naming one image index with a linux/amd64 and a linux/arm64 manifest", () => {
    expect(JSON.parse(readFileSync(join(LAYOUT, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    const { descriptor, index } = imageIndex();
    expect(descriptor.mediaType).toBe(INDEX_TYPE);
    expect(index.mediaType).toBe(INDEX_TYPE);
    const platforms = index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ""}`);
    expect(platforms.sort()).toEqual(["linux/amd64", "linux/arm64/v8"]);
    for (const m of index.manifests) expect(m.mediaType).toBe(MANIFEST_TYPE);
  });

  test("every blob matches its digest and size", () => {
    const { descriptor, index } = imageIndex();
    const descriptors: Descriptor[] = [descriptor, ...index.manifests];
    for (const arch of ARCHES) {
      const { manifest } = platformImage(arch);
      descriptors.push(manifest.config, ...manifest.layers);
    }
    for (const d of descriptors) {
      const bytes = readFileSync(blobPath(d.digest));
      expect(bytes.length).toBe(d.size);
      expect(`sha256:${createHash("sha256").update(bytes).digest("hex")}`).toBe(d.digest);
    }
  });

  test.each(ARCHES)("linux/%s config: non-root numeric user, the binary as entrypoint, OCI labels", async (arch) => {
    const { version } = await Bun.file(join(REPO_ROOT, "package.json")).json();
    const { config, manifest } = platformImage(arch);
    expect(config.os).toBe("linux");
    expect(config.architecture).toBe(arch);
    expect(config.config.User).toBe("65532:65532");
    expect(config.config.Entrypoint).toEqual(["/vworkspace-operator"]);
    expect(config.config.Cmd).toEqual(["run"]);
    expect(config.config.Labels["org.opencontainers.image.version"]).toBe(version);
    expect(config.config.Labels["org.opencontainers.image.revision"]).toBe(revision);
    expect(config.config.Labels["org.opencontainers.image.source"]).toMatch(/^https:\/\//);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+gzip"]);
  });

  test.each(ARCHES)("linux/%s layers: the binary, the C library, a CA bundle, the user, /tmp; reproducible entries", (arch) => {
    const dir = rootfs(arch);
    const binary = statSync(join(dir, "vworkspace-operator"));
    expect(binary.mode & 0o777).toBe(0o755);
    expect(binary.uid).toBe(0);
    expect(mustRun(["file", "-b", join(dir, "vworkspace-operator")])).toContain(arch === "amd64" ? "x86-64" : "aarch64");
    const loader = arch === "amd64" ? "lib64/ld-linux-x86-64.so.2" : "lib/ld-linux-aarch64.so.1";
    expect(existsSync(join(dir, loader))).toBe(true);
    const bundle = readFileSync(join(dir, "etc/ssl/certs/ca-certificates.crt"), "utf8");
    expect(bundle.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0).toBeGreaterThan(100);
    expect(readFileSync(join(dir, "etc/passwd"), "utf8")).toContain("nonroot:x:65532:65532:");
    expect(readFileSync(join(dir, "etc/group"), "utf8")).toContain("nonroot:x:65532:");
    expect(statSync(join(dir, "tmp")).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(dir, "home/nonroot")).uid).toBe(65532);
    const { config, manifest } = platformImage(arch);
    for (const layer of manifest.layers) {
      const listing = mustRun(["tar", "--numeric-owner", "--full-time", "-tvzf", blobPath(layer.digest)]).trim().split("\n");
      const names = listing.map((line) => line.split(/\s+/).slice(5).join(" ").split(" -> ")[0]!);
      expect(names).toEqual([...names].sort());
      const stamps = new Set(listing.map((line) => line.split(/\s+/).slice(3, 5).join(" ")));
      expect(stamps).toEqual(new Set([new Date(config.created).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")]));
    }
  });
});

describe("npm run image: the binaries run from their layers", () => {
  test("linux/arm64: `version` under qemu-aarch64-static with the layer as sysroot", async () => {
    const { version } = await Bun.file(join(REPO_ROOT, "package.json")).json();
    const result = run(["qemu-aarch64-static", "-L", rootfs("arm64"), join(rootfs("arm64"), "vworkspace-operator"), "version"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`vworkspace-operator ${version}`);
  });

  test("linux/amd64: `version` chrooted into the layers as 65532:65532", async () => {
    const { version } = await Bun.file(join(REPO_ROOT, "package.json")).json();
    // A container runtime mounts /proc; Bun reads its embedded code through /proc/self/exe.
    mkdirSync(join(rootfs("amd64"), "proc"), { recursive: true });
    const result = run(["unshare", "--mount", "--pid", "--fork", `--mount-proc=${join(rootfs("amd64"), "proc")}`, "chroot", "--userspec=65532:65532", rootfs("amd64"), "/vworkspace-operator", "version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`vworkspace-operator ${version}`);
  });
});

describe("npm run image --push", () => {
  test("the loopback registry serves the pushed index with both platform manifests", async () => {
    if (!registryBinary || !pushed) throw new Error("VWS_BIN_OCI_REGISTRY is not set: scripts/k8s-bins.sh builds the loopback registry");
    const { descriptor } = imageIndex();
    const response = await fetch(`http://${pushed.registry}/v2/vworkspace-operator/manifests/e2e`, { headers: { accept: INDEX_TYPE } });
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-content-digest")).toBe(descriptor.digest);
    const index = (await response.json()) as IndexManifest;
    expect(index.manifests.map((m) => m.platform?.architecture).sort()).toEqual(["amd64", "arm64"]);
    for (const m of index.manifests) {
      const manifest = await fetch(`http://${pushed.registry}/v2/vworkspace-operator/manifests/${m.digest}`, { headers: { accept: MANIFEST_TYPE } });
      expect(manifest.status).toBe(200);
      const layers = ((await manifest.json()) as ImageManifest).layers;
      for (const layer of layers) {
        const blob = await fetch(`http://${pushed.registry}/v2/vworkspace-operator/blobs/${layer.digest}`, { method: "HEAD" });
        expect(blob.status).toBe(200);
      }
    }
  });
});

describe("npm run image: bad input", () => {
  test("a missing binary fails before anything is written", () => {
    const bins = join(WORK, "bad-bins");
    const out = join(WORK, "never-written");
    mkdirSync(bins, { recursive: true });
    copyFileSync(join(BIN_DIR, "vworkspace-operator-linux-amd64"), join(bins, "vworkspace-operator-linux-amd64"));
    const result = run(["bash", "scripts/image.sh", "--bin-dir", bins, "--out", out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`missing binary ${bins}/vworkspace-operator-linux-arm64`);
    expect(existsSync(out)).toBe(false);
  });

  test("a binary of the wrong architecture is refused by name", () => {
    const bins = join(WORK, "wrong-arch");
    const out = join(WORK, "never-written");
    mkdirSync(bins, { recursive: true });
    copyFileSync(join(BIN_DIR, "vworkspace-operator-linux-amd64"), join(bins, "vworkspace-operator-linux-amd64"));
    writeFileSync(join(bins, "vworkspace-operator-linux-arm64"), "#!/bin/sh\n", { mode: 0o755 });
    const result = run(["bash", "scripts/image.sh", "--bin-dir", bins, "--out", out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("is not a linux/arm64 executable");
    expect(existsSync(out)).toBe(false);
  });
});
