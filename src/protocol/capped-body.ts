/**
 * Reads an HTTP body (a Request's or a Response's) chunk by chunk and stops at once when it passes a byte
 * limit, declared in Content-Length or not (chunked bodies have none), so a peer can never make us buffer
 * more than the limit. Both sides of the agent protocol use it: the agent for control-plane answers, the
 * reference control plane for agent requests. See docs/threat-model.md.
 */
export type CappedBody = { ok: true; text: string } | { ok: false; tooLarge: true };

export async function readCappedBody(message: { headers: Headers; body: ReadableStream<Uint8Array> | null }, maxBytes: number): Promise<CappedBody> {
  const declared = Number(message.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await message.body?.cancel().catch(() => undefined);
    return { ok: false, tooLarge: true };
  }
  if (!message.body) return { ok: true, text: "" };
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      chunks.length = 0;
      await reader.cancel().catch(() => undefined);
      return { ok: false, tooLarge: true };
    }
    chunks.push(value);
  }
  return { ok: true, text: new TextDecoder().decode(Buffer.concat(chunks)) };
}
