import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const readJson = (path: string) => JSON.parse(readFileSync(resolve(root, path), "utf8"));

// client-node 2.x drops TLS client certificates and CAs under Bun: every copy must stay on 1.4.x.
describe("dependency pins", () => {
  test("installed @kubernetes/client-node is 1.4.x", () => {
    expect(readJson("node_modules/@kubernetes/client-node/package.json").version).toMatch(/^1\.4\./);
  });

  test("package.json pins @kubernetes/client-node to ~1.4.0 and bun exactly", () => {
    const pkg = readJson("package.json");
    expect(pkg.dependencies["@kubernetes/client-node"]).toBe("~1.4.0");
    expect(pkg.devDependencies.bun).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("every lockfile entry of @kubernetes/client-node is 1.4.x", () => {
    const lock = readJson("package-lock.json");
    const entries = Object.entries(lock.packages as Record<string, { version?: string }>).filter(([path]) =>
      path.endsWith("node_modules/@kubernetes/client-node"),
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const [path, entry] of entries) expect({ path, version: entry.version }).toEqual({ path, version: expect.stringMatching(/^1\.4\./) });
  });

  test("the running Bun is the pinned one", () => {
    expect(Bun.version).toBe(readJson("package.json").devDependencies.bun);
  });
});
