import { describe, expect, test } from "bun:test";
import * as tls from "node:tls";
import { createCa, issueCert } from "../../../scripts/lib/pki";
import { TlsServer } from "../../../src/webhook/server";

function servedCommonName(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: caPem }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.end();
    });
    socket.on("error", reject);
  });
}

describe("TlsServer (docs/operations.md#serving-certificate reload)", () => {
  test("a new certificate is served on the same port while an in-flight request completes on the old one", async () => {
    const ca = await createCa({ cn: "reload-ca" });
    const leaf = (cn: string) => issueCert(ca, { cn, sans: { ips: ["127.0.0.1"] }, usage: "server" });
    const first = await leaf("first");
    const second = await leaf("second");
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const server = new TlsServer({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        if (new URL(request.url).pathname === "/held") {
          arrived();
          await held;
        }
        return new Response("ok");
      },
    });
    server.serve(first);
    const port = server.port;
    expect(await servedCommonName(port, ca.certPem)).toBe("first");
    const slow = fetch(`https://127.0.0.1:${port}/held`, { tls: { ca: ca.certPem } });
    await inFlight;
    server.serve(second);
    expect(server.port).toBe(port);
    expect(await servedCommonName(port, ca.certPem)).toBe("second");
    release();
    const response = await slow;
    expect([response.status, await response.text()]).toEqual([200, "ok"]);
    await server.stop();
  });

  test("a handler that throws gets a bare 500 that shows neither the error nor its stack", async () => {
    const ca = await createCa({ cn: "throw-ca" });
    const server = new TlsServer({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        throw new Error("internal detail that must not leave the process");
      },
    });
    server.serve(await issueCert(ca, { cn: "throw", sans: { ips: ["127.0.0.1"] }, usage: "server" }));
    const response = await fetch(`https://127.0.0.1:${server.port}/`, { tls: { ca: ca.certPem } });
    const body = await response.text();
    expect(response.status).toBe(500);
    expect(body).not.toContain("internal detail");
    expect(response.headers.get("content-type") ?? "").not.toContain("html");
    await server.stop();
  });
});
