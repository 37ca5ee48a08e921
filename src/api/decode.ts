/** Turns valibot results into a never-throwing decode result with Kubernetes-style field paths. */

import * as v from "valibot";

export interface DecodeIssue {
  /** Field path such as `spec.chart.url`, `status.conditions[0].type` or `metadata.labels[app]`; "" for the root. */
  readonly path: string;
  readonly message: string;
}

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly DecodeIssue[] };

export function decodeWith<T>(schema: v.GenericSchema<unknown, T>, input: unknown): DecodeResult<T> {
  // One issue per field: a value failing minLength need not also be reported for its pattern.
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  if (result.success) return { ok: true, value: result.output };
  return { ok: false, issues: result.issues.map(toDecodeIssue) };
}

/** One line for conditions, Events and logs: `spec.chart.url: is required; spec.mode: ...`. */
export function formatDecodeIssues(issues: readonly DecodeIssue[]): string {
  return issues.map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`)).join("; ");
}

function toDecodeIssue(issue: v.BaseIssue<unknown>): DecodeIssue {
  return { path: pathOf(issue.path ?? []), message: messageOf(issue) };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pathOf(items: readonly v.IssuePathItem[]): string {
  return items.map((item, index) => segmentOf(item, index === 0)).join("");
}

// valibot reports object entries and record keys alike; keys that are not identifiers (labels) get brackets.
function segmentOf(item: v.IssuePathItem, first: boolean): string {
  const key = String(item.key);
  if (item.type !== "object" || !IDENTIFIER.test(key)) return `[${key}]`;
  return first ? key : `.${key}`;
}

// An object schema reports a missing key with input `undefined`; valibot's wording for it is obscure.
function messageOf(issue: v.BaseIssue<unknown>): string {
  return issue.kind === "schema" && issue.input === undefined ? "is required" : issue.message;
}
