import { describe, expect, test } from "bun:test";
import {
  conditionTransitions,
  conditionsEqual,
  findCondition,
  removeCondition,
  setCondition,
  truncateMessage,
} from "../../../src/kube/conditions";
import type { Condition } from "../../../src/kube/types";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0, 250);
const T1 = T0 + 60_000;

function ready(status: Condition["status"], reason: string, message = ""): Parameters<typeof setCondition>[1] {
  return { type: "Ready", status, reason, message };
}

describe("setCondition", () => {
  test("a new condition gets the transition time (seconds precision) and the generation", () => {
    const [condition] = setCondition(undefined, ready("True", "Ok"), 3, T0);
    expect(condition).toEqual({
      type: "Ready",
      status: "True",
      reason: "Ok",
      message: "",
      lastTransitionTime: "2030-01-01T12:00:00Z",
      observedGeneration: 3,
    });
  });

  test("a reason-only or message-only change keeps lastTransitionTime", () => {
    const first = setCondition([], ready("False", "InstallFailed", "a"), 1, T0);
    const second = setCondition(first, ready("False", "UpgradeFailed", "b"), 2, T1);
    expect(second[0]!.lastTransitionTime).toBe(first[0]!.lastTransitionTime);
    expect(second[0]!.reason).toBe("UpgradeFailed");
    expect(second[0]!.message).toBe("b");
    expect(second[0]!.observedGeneration).toBe(2);
  });

  test("a status change moves lastTransitionTime", () => {
    const first = setCondition([], ready("False", "Waiting"), 1, T0);
    const second = setCondition(first, ready("True", "Waiting"), 1, T1);
    expect(second[0]!.lastTransitionTime).toBe("2030-01-01T12:01:00Z");
  });

  test("other conditions keep their place and identity; the input list is not mutated", () => {
    const list = setCondition(setCondition([], ready("True", "A"), 1, T0), { type: "Degraded", status: "False", reason: "Recovered" }, 1, T0);
    const snapshot = structuredClone(list);
    const next = setCondition(list, ready("False", "B"), 2, T1);
    expect(list).toEqual(snapshot);
    expect(next.map((condition) => condition.type)).toEqual(["Ready", "Degraded"]);
    expect(next[1]).toBe(list[1]!);
  });

  test("messages are redacted first, then truncated", () => {
    const redact = (message: string) => message.replace(/secret-\w+/g, "[REDACTED]");
    const [condition] = setCondition([], ready("False", "X", `token secret-abc ${"x".repeat(2_000)}`), 1, T0, { redact });
    expect(condition!.message.startsWith("token [REDACTED] ")).toBe(true);
    expect(condition!.message).toHaveLength(1024);
    expect(condition!.message.endsWith("…")).toBe(true);
  });
});

describe("truncateMessage", () => {
  test("keeps messages up to the limit and cuts longer ones to exactly the limit with a trailing …", () => {
    expect(truncateMessage("a".repeat(1024))).toBe("a".repeat(1024));
    const cut = truncateMessage("a".repeat(1025));
    expect(cut).toHaveLength(1024);
    expect(cut).toBe(`${"a".repeat(1023)}…`);
  });

  test("counts characters, never splitting a surrogate pair", () => {
    const emoji = "😀".repeat(1030);
    const cut = truncateMessage(emoji);
    expect(Array.from(cut)).toHaveLength(1024);
    expect(cut.endsWith("😀…")).toBe(true);
    expect(truncateMessage("😀".repeat(1000))).toBe("😀".repeat(1000));
  });
});

describe("comparisons", () => {
  test("conditionsEqual ignores lastTransitionTime only", () => {
    const a = setCondition([], ready("True", "Ok", "m"), 1, T0);
    const b = setCondition([], ready("True", "Ok", "m"), 1, T1);
    expect(conditionsEqual(a, b)).toBe(true);
    expect(conditionsEqual(a, setCondition([], ready("True", "Ok", "m"), 2, T0))).toBe(false);
    expect(conditionsEqual(a, setCondition([], ready("True", "Ok", "other"), 1, T0))).toBe(false);
    expect(conditionsEqual(undefined, [])).toBe(true);
  });

  test("conditionTransitions reports first appearances and status or reason changes, not message changes", () => {
    const before = setCondition(setCondition([], ready("True", "Ok", "m1"), 1, T0), { type: "Blocked", status: "False", reason: "Unblocked" }, 1, T0);
    let after = setCondition(before, ready("True", "Ok", "m2"), 2, T1);
    expect(conditionTransitions(before, after)).toEqual([]);
    after = setCondition(after, ready("False", "UpgradeFailed"), 2, T1);
    after = setCondition(after, { type: "Suspended", status: "False", reason: "Active" }, 2, T1);
    expect(conditionTransitions(before, after).map(({ previous, current }) => [previous?.reason, current.reason])).toEqual([
      ["Ok", "UpgradeFailed"],
      [undefined, "Active"],
    ]);
  });

  test("find and remove", () => {
    const list = setCondition([], ready("True", "Ok"), 1, T0);
    expect(findCondition(list, "Ready")?.reason).toBe("Ok");
    expect(removeCondition(list, "Ready")).toEqual([]);
  });
});
