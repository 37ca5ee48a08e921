import { describe, expect, test } from "bun:test";
import { pageOutExecutable, readOnlyMappingsOf, reclaimDue, reclaimExecutablePages, type PageOutResult } from "../../../src/manager/executable-pages";

const MAPS = [
  "00200000-01a39000 r--p 00000000 fe:00 5311511                            /opt/vws/vworkspace-operator",
  "01a40000-0684a000 r-xp 01838000 fe:00 5311511                            /opt/vws/vworkspace-operator",
  "0684a000-0685f000 rw-p 06641000 fe:00 5311511                            /opt/vws/vworkspace-operator",
  "7f0000000000-7f0000001000 r--p 00000000 fe:00 42                         /usr/lib/x86_64-linux-gnu/libc.so.6",
  "7f0000002000-7f0000003000 r-xp 00000000 fe:00 43                         /opt/vws/vworkspace-operator (deleted)",
  "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]",
  "",
].join("\n");

describe("readOnlyMappingsOf", () => {
  test("keeps the executable's read-only and executable mappings, never a writable one or another file", () => {
    expect(readOnlyMappingsOf(MAPS, "/opt/vws/vworkspace-operator")).toEqual([
      { start: 0x200000n, length: 0x1839000n },
      { start: 0x1a40000n, length: 0x4e0a000n },
    ]);
  });

  test("a path with a space is matched whole", () => {
    expect(readOnlyMappingsOf(MAPS, "/opt/vws/vworkspace-operator (deleted)")).toEqual([{ start: 0x7f0000002000n, length: 0x1000n }]);
  });

  test("nothing for a file that is not mapped", () => {
    expect(readOnlyMappingsOf(MAPS, "/usr/bin/other")).toEqual([]);
  });
});

describe("reclaimDue", () => {
  const at = (file: number) => ({ total: file + 10_000, file });

  test("the first check always reclaims", () => {
    expect(reclaimDue(at(40_000), undefined, 8192)).toBe(true);
  });

  test("again only once file-backed RSS grew by the threshold since the last reclaim", () => {
    expect(reclaimDue(at(20_000), at(14_000), 8192)).toBe(false);
    expect(reclaimDue(at(22_192), at(14_000), 8192)).toBe(true);
  });

  test("anonymous memory growing does not count", () => {
    expect(reclaimDue({ total: 90_000, file: 14_500 }, at(14_000), 8192)).toBe(false);
  });
});

describe("pageOutExecutable", () => {
  test("on Linux it advises every read-only mapping of the running executable and reports the RSS around it", async () => {
    const result = await pageOutExecutable();
    if (process.platform !== "linux") {
      expect(result).toBeUndefined();
      return;
    }
    expect(result).toBeDefined();
    expect(result!.mappings).toBeGreaterThan(0);
    expect(result!.before.total).toBeGreaterThan(0);
    expect(result!.after.total).toBeGreaterThan(0);
    expect(result!.after.file).toBeLessThanOrEqual(result!.after.total);
  });

  test("an executable with no mapping is left alone", async () => {
    expect(await pageOutExecutable("/nonexistent/executable")).toBeUndefined();
  });
});

describe("reclaimExecutablePages", () => {
  test("the first check reclaims and reports it; a stop ends the checks", async () => {
    const outcome = await new Promise<PageOutResult | "unavailable">((resolve) => {
      const stop = reclaimExecutablePages({
        intervalMs: 5,
        growthKiB: 8192,
        onReclaimed: (result) => {
          stop();
          resolve(result);
        },
        onUnavailable: () => {
          stop();
          resolve("unavailable");
        },
      });
    });
    if (process.platform !== "linux") return expect(outcome).toBe("unavailable");
    expect(outcome).not.toBe("unavailable");
    expect((outcome as PageOutResult).mappings).toBeGreaterThan(0);
  });

  test("an interval of 0 never checks", async () => {
    let called = false;
    const stop = reclaimExecutablePages({ intervalMs: 0, growthKiB: 0, onReclaimed: () => (called = true), onUnavailable: () => (called = true) });
    await Bun.sleep(20);
    stop();
    expect(called).toBe(false);
  });
});
