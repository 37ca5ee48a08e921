import { describe, expect, test } from "bun:test";
import { isGatedNamespace } from "../../../src/api/gate";

describe("namespace gate predicate (docs/concepts.md#namespace-gate)", () => {
  test.each([
    [{ "managed-by": "vworkspace" }, true],
    [{ "app.vworkspace.io/managed-by": "vworkspace" }, true],
    [{ "managed-by": "true" }, false],
    [{ "managed-by": "Vworkspace" }, false],
    [{ "app.vworkspace.io/managed-by": "control-plane" }, false],
    [{}, false],
    [undefined, false],
  ])("%p → %p", (labels, gated) => expect(isGatedNamespace(labels)).toBe(gated));
});
