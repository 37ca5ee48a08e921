/**
 * The reference control plane reads no agent body before the bearer is checked, and caps chunked bodies (no
 * Content-Length) while they stream: raw HTTP/1.1 over a socket, so the test controls every byte sent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { AGENT_MEDIA_TYPE } from "../../../src/protocol/endpoints";
import { registerCluster, startRefControlPlane, type RefControlPlane } from "../../support/controlplane";
import { agentCall } from "./agent-request";

let plane: RefControlPlane;
let cluster: { clusterId: string; token: string };

beforeAll(async () => {
  plane = await startRefControlPlane();
  cluster = await registerCluster(plane);
});
afterAll(() => plane.stop());

interface ChunkedOutcome {
  status: number;
  /** Body bytes written before the answer arrived. */
  sentBeforeAnswer: number;
  /** Whether the terminating chunk had been sent when the answer arrived. */
  finished: boolean;
}

/**
 * POSTs a chunked body of `chunkBytes`-sized chunks, each written once the previous one drained, until the
 * server answers or `maxBytes` went out (then the body is terminated). Resolves with the status line's code.
 */
function postChunked(path: string, token: string, options: { chunkBytes: number; maxBytes: number; pauseMs?: number }): Promise<ChunkedOutcome> {
  const { hostname, port } = new URL(plane.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let sent = 0;
    let finished = false;
    let answered = false;
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer after ${sent} bytes (finished: ${finished})`));
    }, 20_000);
    const chunk = Buffer.concat([Buffer.from(`${options.chunkBytes.toString(16)}\r\n`), Buffer.alloc(options.chunkBytes, "{"), Buffer.from("\r\n")]);
    const writeNext = () => {
      if (answered || socket.destroyed) return;
      if (sent >= options.maxBytes) {
        finished = true;
        socket.write("0\r\n\r\n");
        return;
      }
      sent += options.chunkBytes;
      socket.write(chunk, () => (options.pauseMs ? setTimeout(writeNext, options.pauseMs) : writeNext()));
    };
    socket.on("connect", () => {
      socket.write(
        [
          `POST ${path} HTTP/1.1`,
          `Host: ${hostname}:${port}`,
          `Authorization: Bearer ${token}`,
          `Accept: ${AGENT_MEDIA_TYPE}`,
          `Content-Type: ${AGENT_MEDIA_TYPE}`,
          "Transfer-Encoding: chunked",
          "",
          "",
        ].join("\r\n"),
      );
      writeNext();
    });
    socket.on("data", (data) => {
      received += data.toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (match && !answered) {
        answered = true;
        clearTimeout(timer);
        resolve({ status: Number(match[1]), sentBeforeAnswer: sent, finished });
        socket.destroy();
      }
    });
    socket.on("error", (err) => {
      if (!answered) {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

test("a chunked body with a bad bearer is refused with 401 while the client is still sending", async () => {
  const outcome = await postChunked("/api/agent/events", "vwksp-not-a-token", { chunkBytes: 1024, maxBytes: 4 * 1024 * 1024, pauseMs: 20 });
  expect(outcome.status).toBe(401);
  expect(outcome.finished).toBe(false);
  const register = await postChunked("/api/agent/register", "vwksp-reg-not-a-token", { chunkBytes: 1024, maxBytes: 4 * 1024 * 1024, pauseMs: 20 });
  expect(register).toMatchObject({ status: 401, finished: false });
});

test("an authenticated chunked body over 1 MiB is answered 413 before it ends; the plane keeps serving", async () => {
  const outcome = await postChunked("/api/agent/events", cluster.token, { chunkBytes: 64 * 1024, maxBytes: 64 * 1024 * 1024 });
  expect(outcome.status).toBe(413);
  expect(outcome.finished).toBe(false);
  const small = await postChunked("/api/agent/events", cluster.token, { chunkBytes: 16, maxBytes: 16 });
  expect(small.status).toBe(400);
  const poll = await agentCall(plane.url, `/api/agent/jobs?cluster=${cluster.clusterId}&wait=0`, { token: cluster.token });
  expect(poll.status).toBe(200);
});
