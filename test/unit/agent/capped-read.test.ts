import { describe, expect, test } from "bun:test";
import { readCapped } from "../../../src/agent/transport/http";

/** A body that never ends, counting what was pulled from it and whether it was cancelled. */
function endlessBody(chunkBytes: number) {
  const seen = { pulled: 0, cancelled: false };
  const chunk = new Uint8Array(chunkBytes).fill(0x61);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      seen.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

describe("capped response reads", () => {
  test("a body within the cap is returned as text", async () => {
    const overflow = new AbortController();
    expect(await readCapped(new Response('{"jobs":[]}'), 64, overflow)).toBe('{"jobs":[]}');
    expect(await readCapped(new Response("x".repeat(64)), 64, overflow)).toHaveLength(64);
    expect(await readCapped(new Response(null), 64, overflow)).toBe("");
    expect(overflow.signal.aborted).toBe(false);
  });

  test("an endless body is cut at the cap: the request is aborted and little more than the cap was pulled", async () => {
    const { stream, seen } = endlessBody(16 * 1024);
    const overflow = new AbortController();
    const cap = 1024 * 1024;
    await expect(readCapped(new Response(stream), cap, overflow)).rejects.toThrow(`larger than the ${cap}-byte limit`);
    expect(overflow.signal.aborted).toBe(true);
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThan(cap + 4 * 16 * 1024);
  });

  test("a declared Content-Length above the cap is refused before the body is read", async () => {
    const { stream, seen } = endlessBody(1024);
    const overflow = new AbortController();
    const response = new Response(stream, { headers: { "Content-Length": String(10 * 1024 * 1024) } });
    await expect(readCapped(response, 64 * 1024, overflow)).rejects.toThrow("request aborted");
    expect(overflow.signal.aborted).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(64 * 1024);
  });

  test("the error names the limit, never the body", async () => {
    const secretish = "body-content-that-must-not-be-quoted";
    const error = await readCapped(new Response(secretish.repeat(10)), 16, new AbortController()).catch((err: unknown) => err as Error);
    expect(String(error)).not.toContain(secretish);
  });
});
