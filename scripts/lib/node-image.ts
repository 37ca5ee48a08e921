// A self-made image for the local node, pulled from nowhere: Debian's static busybox in one layer, as an
// OCI layout tarball that `ctr images import` loads. It serves as the sandbox ("pause") image (its
// entrypoint sleeps forever) and as the image of test Pods (which give their own command).
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const NODE_IMAGE = "vws.local/busybox:1";
const BUSYBOX = "/bin/busybox";
const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };

interface Blob {
  digest: string;
  size: number;
}

function putBlob(blobsDir: string, data: Buffer): Blob {
  const hex = createHash("sha256").update(data).digest("hex");
  writeFileSync(join(blobsDir, hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

function tarOf(cwd: string, entries: string[], out: string): void {
  const cmd = ["tar", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@0", "--sort=name", "-C", cwd, "-cf", out, ...entries];
  const res = Bun.spawnSync({ cmd, stdout: "ignore", stderr: "pipe" });
  if (res.exitCode !== 0) throw new Error(`tar ${out} failed: ${res.stderr.toString().trim()}`);
}

/** Writes the image tarball into workDir and returns its path. */
export function buildNodeImage(workDir: string): string {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing (Debian package busybox-static)`);
  const arch = GOARCH[process.arch];
  if (!arch) throw new Error(`no node image for CPU architecture ${process.arch}`);
  rmSync(workDir, { recursive: true, force: true });
  const rootfs = join(workDir, "rootfs");
  const layout = join(workDir, "layout");
  const blobsDir = join(layout, "blobs", "sha256");
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  mkdirSync(blobsDir, { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, "bin", "busybox"));
  chmodSync(join(rootfs, "bin", "busybox"), 0o755);
  const layerTar = join(workDir, "layer.tar");
  tarOf(rootfs, ["bin", "tmp"], layerTar);
  const layerData = readFileSync(layerTar);
  const layer = putBlob(blobsDir, layerData);
  const config = putBlob(
    blobsDir,
    Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: "linux",
        config: { Entrypoint: ["/bin/busybox", "sleep", "2147483647"], Env: ["PATH=/bin"] },
        rootfs: { type: "layers", diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = putBlob(
    blobsDir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      }),
    ),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        platform: { architecture: arch, os: "linux" },
        annotations: { "io.containerd.image.name": NODE_IMAGE, "org.opencontainers.image.ref.name": "1" },
      },
    ],
  };
  writeFileSync(join(layout, "index.json"), JSON.stringify(index));
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const out = join(workDir, "image.tar");
  tarOf(layout, ["oci-layout", "index.json", "blobs"], out);
  return out;
}
