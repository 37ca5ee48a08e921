import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { childLabels } from "../../../src/engines/common/labels";
import { shortName, workloadName } from "../../../src/engines/common/naming";
import { CHILD_LABELS, OWNER, SOURCE_LABELS } from "./fixtures";

describe("child names", () => {
  test("names up to 63 characters are kept", () => {
    expect(shortName("a".repeat(63))).toBe("a".repeat(63));
  });

  test("longer names keep 52 characters without trailing separators, then a hash", () => {
    const long = `${"x".repeat(50)}--.${"y".repeat(20)}`;
    const hash = createHash("sha256").update(long).digest("hex").slice(0, 10);
    expect(shortName(long)).toBe(`${"x".repeat(50)}-${hash}`);
    expect(shortName(long)).toHaveLength(61);
    expect(shortName(long)).toBe(shortName(long));
    expect(shortName(`${long}z`)).not.toBe(shortName(long));
  });

  test("a 70-character name is shortened to 63 characters deterministically", () => {
    const name = "n".repeat(70);
    expect(shortName(name)).toHaveLength(63);
    expect(shortName(name).startsWith("n".repeat(52) + "-")).toBe(true);
  });

  test("Job and Workflow names join namespace and name, falling back to the UID", () => {
    expect(workloadName({ namespace: "team-a", name: "migrate", uid: "u-1" })).toBe("team-a--migrate");
    expect(workloadName({ namespace: "n".repeat(30), name: "m".repeat(32), uid: "u-1" })).toBe("u-1");
    expect(workloadName({ namespace: "n".repeat(30), name: "m".repeat(31), uid: "u-1" })).toHaveLength(63);
  });
});

describe("child labels", () => {
  test("every child names the operator, the Operation UID and the target", () => {
    expect(childLabels(OWNER)).toEqual(CHILD_LABELS);
    expect(childLabels(OWNER, { sourceNamespace: true })).toEqual(SOURCE_LABELS);
  });
});
