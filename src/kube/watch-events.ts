/** Decoding of the watch wire format: one JSON `{type, object}` per line. Pure apart from stream reading. */
import type { KubeStatus } from "./errors";
import type { KubeObject } from "./types";

export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  | { type: "BOOKMARK"; resourceVersion: string }
  | { type: "ERROR"; status: KubeStatus };

export class WatchDecodeError extends Error {
  override readonly name = "WatchDecodeError";
}

export function decodeWatchEvent<T extends KubeObject = KubeObject>(line: string): WatchEvent<T> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // The line may be an object of any kind (a Secret too): report its size, never its text.
    throw new WatchDecodeError(`watch line of ${line.length} characters is not JSON`);
  }
  if (!isRecord(value) || !isRecord(value.object)) {
    throw new WatchDecodeError("watch line has no object");
  }
  const { type, object } = value;
  switch (type) {
    case "ADDED":
    case "MODIFIED":
    case "DELETED":
      if (!isRecord(object.metadata)) throw new WatchDecodeError(`${type} event without metadata`);
      return { type, object: object as unknown as T };
    case "BOOKMARK": {
      const metadata = isRecord(object.metadata) ? object.metadata : {};
      const resourceVersion = typeof metadata.resourceVersion === "string" ? metadata.resourceVersion : "";
      if (resourceVersion === "") throw new WatchDecodeError("BOOKMARK event without resourceVersion");
      return { type, resourceVersion };
    }
    case "ERROR":
      return { type, status: object as KubeStatus };
    default:
      throw new WatchDecodeError(`unknown watch event type ${JSON.stringify(type)}`);
  }
}

/** Splits a byte stream into lines, decoding UTF-8 across chunk boundaries; skips blank lines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== "") yield line;
        newline = buffered.indexOf("\n");
      }
    }
    const tail = (buffered + decoder.decode()).trim();
    if (tail !== "") yield tail;
  } finally {
    // Cancelling releases the connection when the consumer stops early.
    await reader.cancel().catch(() => undefined);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
