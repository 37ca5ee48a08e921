import { describe, expect, test } from "bun:test";
import { WatchDecodeError, decodeWatchEvent, readLines } from "../../../src/kube/watch-events";

const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", resourceVersion: "7" } };

describe("decodeWatchEvent", () => {
  test("object events carry the object", () => {
    for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) {
      expect(decodeWatchEvent(JSON.stringify({ type, object: cm }))).toEqual({ type, object: cm });
    }
  });

  test("bookmarks carry only the resourceVersion", () => {
    const line = JSON.stringify({ type: "BOOKMARK", object: { kind: "ConfigMap", metadata: { resourceVersion: "42" } } });
    expect(decodeWatchEvent(line)).toEqual({ type: "BOOKMARK", resourceVersion: "42" });
  });

  test("ERROR events carry the Status, e.g. 410 Expired", () => {
    const status = { kind: "Status", status: "Failure", message: "too old resource version: 1 (40)", reason: "Expired", code: 410 };
    expect(decodeWatchEvent(JSON.stringify({ type: "ERROR", object: status }))).toEqual({ type: "ERROR", status });
  });

  test("malformed lines fail without echoing their content", () => {
    const secretish = '{"type":"ADDED","object":{"data":{"password":"hunter2"}';
    expect(() => decodeWatchEvent(secretish)).toThrow(WatchDecodeError);
    expect(() => decodeWatchEvent(secretish)).not.toThrow(/hunter2/);
    expect(() => decodeWatchEvent(JSON.stringify({ type: "ADDED", object: { kind: "X" } }))).toThrow(/without metadata/);
    expect(() => decodeWatchEvent(JSON.stringify({ type: "SURPRISE", object: cm }))).toThrow(/unknown watch event type/);
    expect(() => decodeWatchEvent(JSON.stringify({ type: "BOOKMARK", object: { metadata: {} } }))).toThrow(/resourceVersion/);
  });
});

describe("readLines", () => {
  function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
    return new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
  }

  test("reassembles lines split across chunks, including inside a multi-byte character", async () => {
    const bytes = new TextEncoder().encode('{"a":"é"}\n\n{"b":2}\n{"c":3}');
    const split = bytes.indexOf(0xa9); // second byte of "é"
    const chunks = [bytes.slice(0, split), bytes.slice(split, split + 5), bytes.slice(split + 5)];
    const lines: string[] = [];
    for await (const line of readLines(streamOf(chunks))) lines.push(line);
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}', '{"c":3}']);
  });
});
