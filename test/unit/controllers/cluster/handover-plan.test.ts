/** The field-ownership hand-over of a mode switch, pure: which writers, and the JSON patch per object. */
import { describe, expect, test } from "bun:test";
import { handOverDue, handOverPatch, unionOfFields, writerOf, type ManagedFieldsEntry } from "../../../../src/controllers/cluster/handover-plan";

const AGENT = "vworkspace-agent";
const ODOO = "vworkspace-odoo";
const toPush = { from: AGENT, to: ODOO };

const entry = (manager: string, fields: Record<string, unknown>, extra: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry => ({
  manager,
  operation: "Apply",
  apiVersion: "apps.vworkspace.io/v1alpha1",
  time: "2026-12-07T10:00:00Z",
  fieldsType: "FieldsV1",
  fieldsV1: fields,
  ...extra,
});
const objectWith = (...entries: ManagedFieldsEntry[]) => ({ metadata: { name: "web", namespace: "team-a", managedFields: entries } });

/** What the API server does with a JSON patch, enough for these ops: test, replace, remove. */
function applyOps(object: ReturnType<typeof objectWith>, ops: NonNullable<ReturnType<typeof handOverPatch>>): ManagedFieldsEntry[] {
  const entries = structuredClone(object.metadata.managedFields);
  for (const op of ops) {
    const [, , , index, field] = op.path.split("/");
    const at = Number(index);
    if (op.op === "test") expect(entries[at]).toEqual(op.value as ManagedFieldsEntry);
    else if (op.op === "replace" && field) (entries[at] as Record<string, unknown>)[field] = op.value;
    else if (op.op === "replace") entries[at] = op.value as ManagedFieldsEntry;
    else if (op.op === "remove") entries.splice(at, 1);
  }
  return entries;
}

describe("writerOf", () => {
  test("pull writes as the agent, push as the control plane; GitOps has no writer of ours", () => {
    expect(writerOf("pull")).toBe(AGENT);
    expect(writerOf("push")).toBe(ODOO);
    expect(writerOf("gitops")).toBeUndefined();
    expect(writerOf(undefined)).toBeUndefined();
  });
});

describe("handOverDue", () => {
  test("pull ↔ push hands over in the direction of the switch; no switch, a first pass or GitOps on either side, none", () => {
    expect(handOverDue("pull", "push", undefined)).toEqual({ from: AGENT, to: ODOO });
    expect(handOverDue("push", "pull", undefined)).toEqual({ from: ODOO, to: AGENT });
    expect(handOverDue("pull", "pull", undefined)).toBeUndefined();
    expect(handOverDue(undefined, "push", undefined)).toBeUndefined();
    expect(handOverDue("pull", "gitops", undefined)).toBeUndefined();
    expect(handOverDue("gitops", "push", undefined)).toBeUndefined();
  });

  test("a finished hand-over is not repeated while status still shows the old mode; an unfinished one runs again", () => {
    expect(handOverDue("pull", "push", { to: "push", done: true })).toBeUndefined();
    expect(handOverDue("pull", "push", { to: "push", done: false })).toEqual({ from: AGENT, to: ODOO });
    expect(handOverDue("push", "pull", { to: "push", done: true })).toEqual({ from: ODOO, to: AGENT });
  });

  test("an interrupted hand-over switched back before it finished is reversed although the mode in effect never changed", () => {
    expect(handOverDue("pull", "pull", { to: "push", done: false })).toEqual({ from: ODOO, to: AGENT });
    expect(handOverDue("pull", "gitops", { to: "push", done: false })).toBeUndefined();
  });
});

describe("handOverPatch", () => {
  test("renames the previous writer's entry, guarded by a test of the whole entry; other managers are left alone", () => {
    const agent = entry(AGENT, { "f:spec": { "f:values": {} } });
    const status = entry("vworkspace-operator", { "f:status": {} }, { subresource: "status" });
    const object = objectWith(status, agent);
    const ops = handOverPatch(object, toPush)!;
    expect(ops).toEqual([
      { op: "test", path: "/metadata/managedFields/1", value: agent },
      { op: "replace", path: "/metadata/managedFields/1/manager", value: ODOO },
    ]);
    expect(applyOps(object, ops).map((item) => item.manager)).toEqual(["vworkspace-operator", ODOO]);
  });

  test("nothing owned by the previous writer: no patch (a second run of a finished hand-over writes nothing)", () => {
    expect(handOverPatch(objectWith(entry(ODOO, {})), toPush)).toBeUndefined();
    expect(handOverPatch({ metadata: { name: "web" } }, toPush)).toBeUndefined();
  });

  test("an entry of the new writer with the same identity absorbs the renamed one's fields: one entry, the union, the later time", () => {
    const odoo = entry(ODOO, { "f:metadata": { "f:labels": { "f:a": {} } }, "f:spec": { "f:chart": {} } }, { time: "2026-12-07T09:00:00Z" });
    const other = entry("kubectl", { "f:metadata": { "f:annotations": {} } }, { operation: "Update" });
    const agent = entry(AGENT, { "f:metadata": { "f:labels": { "f:b": {} } }, "f:spec": { "f:values": {} } });
    const object = objectWith(odoo, other, agent);
    const ops = handOverPatch(object, toPush)!;
    expect(ops.map((op) => `${op.op} ${op.path}`)).toEqual(["test /metadata/managedFields/2", "test /metadata/managedFields/0", "replace /metadata/managedFields/0", "remove /metadata/managedFields/2"]);
    const result = applyOps(object, ops);
    expect(result.map((item) => item.manager)).toEqual([ODOO, "kubectl"]);
    expect(result[0]).toEqual({ ...odoo, time: agent.time, fieldsV1: { "f:metadata": { "f:labels": { "f:a": {}, "f:b": {} } }, "f:spec": { "f:chart": {}, "f:values": {} } } });
  });

  test("entries of another identity stay separate: an update by the new writer does not absorb an apply", () => {
    const object = objectWith(entry(ODOO, {}, { operation: "Update" }), entry(AGENT, { "f:spec": {} }));
    expect(handOverPatch(object, toPush)!.map((op) => `${op.op} ${op.path}`)).toEqual(["test /metadata/managedFields/1", "replace /metadata/managedFields/1/manager"]);
  });

  test("several entries of the previous writer: removals run from the last index so earlier ones stay valid", () => {
    const object = objectWith(
      entry(AGENT, { "f:spec": {} }),
      entry(ODOO, { "f:metadata": {} }),
      entry(AGENT, { "f:x": {} }, { operation: "Update" }),
      entry(ODOO, { "f:y": {} }, { operation: "Update" }),
    );
    const result = applyOps(object, handOverPatch(object, toPush)!);
    expect(result.map((item) => `${item.manager} ${item.operation} ${Object.keys(item.fieldsV1 ?? {}).join(",")}`)).toEqual([`${ODOO} Apply f:metadata,f:spec`, `${ODOO} Update f:y,f:x`]);
  });
});

describe("unionOfFields", () => {
  test("merges nested tries without dropping either side", () => {
    expect(unionOfFields({ "f:a": { "f:b": {} }, ".": {} }, { "f:a": { "f:c": {} }, "f:d": {} })).toEqual({ "f:a": { "f:b": {}, "f:c": {} }, ".": {}, "f:d": {} });
  });
});
