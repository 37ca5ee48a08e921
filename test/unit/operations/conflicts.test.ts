/** The conflict matrix and queue of docs/operations.md#concurrency. */
import { describe, expect, test } from "bun:test";
import { OPERATION_TYPES, type OperationType } from "../../../src/api/operation";
import { conflictMessage, conflicts, holderOf, type QueueEntry } from "../../../src/operations/conflicts";

const MATRIX: Record<OperationType, OperationType[]> = {
  Backup: ["Restore"],
  Restore: ["Backup", "Restore", "Upgrade", "Migration"],
  Upgrade: ["Restore", "Upgrade", "Migration"],
  Migration: ["Restore", "Upgrade", "Migration"],
  RunCommand: [],
  Runbook: [],
};

describe("conflict matrix", () => {
  for (const a of OPERATION_TYPES) {
    for (const b of OPERATION_TYPES) {
      const expected = MATRIX[a].includes(b);
      test(`${a} × ${b}: ${expected ? "conflict" : "allowed"}`, () => {
        expect(conflicts(a, b)).toBe(expected);
        expect(conflicts(b, a)).toBe(expected);
      });
    }
  }
});

const entry = (name: string, type: OperationType, second: number, standing: QueueEntry["standing"]): QueueEntry => ({
  name,
  type,
  creationTimestamp: `2026-01-01T00:00:${String(second).padStart(2, "0")}Z`,
  standing,
});

describe("queue", () => {
  test("a Running conflicting sibling holds, whatever its age", () => {
    const later = entry("r", "Restore", 9, "running");
    expect(holderOf(entry("b", "Backup", 1, "idle"), [later])).toEqual(later);
  });

  test("an earlier queued sibling holds; a later one does not", () => {
    const older = entry("u1", "Upgrade", 1, "queued");
    const newer = entry("u2", "Upgrade", 2, "queued");
    expect(holderOf(newer, [older])?.name).toBe("u1");
    expect(holderOf(older, [newer])).toBeUndefined();
  });

  test("equal creation times are ordered by name", () => {
    expect(holderOf(entry("b", "Upgrade", 1, "queued"), [entry("a", "Upgrade", 1, "queued")])?.name).toBe("a");
    expect(holderOf(entry("a", "Upgrade", 1, "queued"), [entry("b", "Upgrade", 1, "queued")])).toBeUndefined();
  });

  test("a sibling blocked for another reason holds nobody (no deadlock)", () => {
    expect(holderOf(entry("b", "Backup", 2, "idle"), [entry("r", "Restore", 1, "idle")])).toBeUndefined();
  });

  test("three mutually conflicting Operations: exactly the earliest is free", () => {
    const all = [entry("m1", "Migration", 1, "queued"), entry("m2", "Upgrade", 2, "queued"), entry("m3", "Restore", 3, "queued")];
    const free = all.filter((candidate) => holderOf(candidate, all) === undefined).map((candidate) => candidate.name);
    expect(free).toEqual(["m1"]);
  });

  test("non-conflicting siblings never hold", () => {
    expect(holderOf(entry("c", "RunCommand", 2, "idle"), [entry("r", "Restore", 1, "running")])).toBeUndefined();
  });

  test("message names the holder and its type", () => {
    expect(conflictMessage({ name: "nightly", type: "Restore" })).toBe('conflicts with operation "nightly" (Restore)');
  });
});
