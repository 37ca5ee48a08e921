/** Strict request-body decoding: JSON first, then the docs/connectivity.md#pull-mode-wire-protocol shape; failures become `400 InvalidBody` with field paths. */
import type * as v from "valibot";
import { decodeWith, formatDecodeIssues } from "../api/decode";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * The request body as text, streamed: declared or not (chunked bodies have no Content-Length), more than
 * `maxBytes` stops the read at once and yields `tooLarge`, so an agent can never make the server buffer more.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<{ ok: true; text: string } | { ok: false; tooLarge: true }> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, tooLarge: true };
  if (!request.body) return { ok: true, text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, tooLarge: true };
    }
    chunks.push(value);
  }
  return { ok: true, text: new TextDecoder().decode(Buffer.concat(chunks)) };
}

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
