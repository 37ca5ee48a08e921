/** Strict request-body decoding: JSON first, then the docs/connectivity.md#pull-mode-wire-protocol shape; failures become `400 InvalidBody` with field paths. */
import type * as v from "valibot";
import { decodeWith, formatDecodeIssues } from "../api/decode";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseJsonText(text: string): BodyResult<unknown> {
  if (text === "") return { ok: false, message: "a JSON body is required" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, message: "body is not valid JSON" };
  }
}

export function decodeBody<T>(schema: v.GenericSchema<unknown, T>, value: unknown): BodyResult<T> {
  const decoded = decodeWith(schema, value);
  return decoded.ok ? decoded : { ok: false, message: formatDecodeIssues(decoded.issues) };
}
