/** doctor's webhook handshake against a real TLS listener: verified, wrong CA, wrong name, nothing listening, unresolvable. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tlsHandshake } from "../../../src/doctor/probe";
import { createCertificates, DEFAULT_CERTIFICATE_POLICY, servingNames, type WebhookCertificates } from "../../../src/webhook/certificates";

let certs: WebhookCertificates;
let server: ReturnType<typeof Bun.serve>;
let port: number;

beforeAll(async () => {
  certs = await createCertificates(servingNames("doctor", "probe", ["127.0.0.1"]), new Date(), DEFAULT_CERTIFICATE_POLICY);
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: certs.certPem, key: certs.keyPem }, fetch: () => new Response("{}") });
  port = server.port as number;
});

afterAll(() => server.stop(true));

describe("webhook TLS handshake", () => {
  test("verified against the CA: ok, with the serving certificate's expiry", async () => {
    const facts = await tlsHandshake({ host: "127.0.0.1", port }, certs.caPem, 5_000);
    expect(facts).toMatchObject({ target: `127.0.0.1:${port}`, result: "ok" });
    expect(facts.result === "ok" && Date.parse(facts.notAfter) - Date.now()).toBeGreaterThan(300 * 86_400_000);
  });

  test("another CA fails verification", async () => {
    const other = await createCertificates(servingNames("doctor", "probe", ["127.0.0.1"]), new Date(), DEFAULT_CERTIFICATE_POLICY);
    expect(await tlsHandshake({ host: "127.0.0.1", port }, other.caPem, 5_000)).toMatchObject({ result: "failed" });
  });

  test("a name the certificate does not carry fails", async () => {
    const facts = await tlsHandshake({ host: "localhost", port }, certs.caPem, 5_000);
    expect(facts.result === "failed" && facts.error).toContain("localhost");
  });

  test("nothing listening fails; a Service name that does not resolve here is reported as unresolvable", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const closed = listener.port;
    listener.stop(true);
    expect(await tlsHandshake({ host: "127.0.0.1", port: closed }, certs.caPem, 5_000)).toMatchObject({ result: "failed" });
    expect(await tlsHandshake({ host: "doctor.probe.svc", port: 443 }, certs.caPem, 5_000)).toEqual({ target: "doctor.probe.svc:443", result: "unresolvable" });
  });
});
