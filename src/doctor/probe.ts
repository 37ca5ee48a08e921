/** Network probes of doctor: the API server's /version with its Date header, and a webhook TLS handshake. */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { connect } from "node:tls";
import type { KubeConnection } from "../kube/config";
import type { HandshakeFacts, WebhookEndpointFacts } from "./facts";

export interface Address {
  host: string;
  port: number;
}

/** Where the API server sends admission requests: the URL's host and port, or the Service's cluster DNS name. */
export function endpointAddress(endpoint: WebhookEndpointFacts): Address {
  if ("url" in endpoint) {
    const url = new URL(endpoint.url);
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || "443") };
  }
  return { host: `${endpoint.service.name}.${endpoint.service.namespace}.svc`, port: endpoint.service.port };
}

export interface VersionAnswer {
  version: string;
  serverDateMs?: number;
  localMidpointMs: number;
}

/** GET /version through the kubeconfig's connection; the raw Response is needed for its Date header. */
export async function fetchVersion(connection: KubeConnection, timeoutMs: number): Promise<VersionAnswer> {
  const { headers, tls } = await connection.requestOptions();
  const started = Date.now();
  const response = await fetch(`${connection.server}/version`, { headers: { ...headers, Accept: "application/json" }, tls, signal: AbortSignal.timeout(timeoutMs) });
  const finished = Date.now();
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /version: HTTP ${response.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { gitVersion?: unknown };
  const date = Date.parse(response.headers.get("date") ?? "");
  return {
    version: typeof body.gitVersion === "string" ? body.gitVersion : "unknown",
    ...(Number.isNaN(date) ? {} : { serverDateMs: date }),
    localMidpointMs: Math.round((started + finished) / 2),
  };
}

/**
 * Opens a TLS connection to `host:port` and verifies the server certificate against `caPem` and the name the
 * API server would use. A Service name that does not resolve here is reported as such, not as a failure.
 */
export async function tlsHandshake(target: Address, caPem: string, timeoutMs: number): Promise<HandshakeFacts> {
  const name = `${target.host}:${target.port}`;
  if (isIP(target.host) === 0) {
    try {
      await lookup(target.host);
    } catch {
      return { target: name, result: "unresolvable" };
    }
  }
  return new Promise((resolve) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      ca: caPem,
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
      rejectUnauthorized: true,
    });
    const finish = (facts: HandshakeFacts) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(facts);
    };
    const timer = setTimeout(() => finish({ target: name, result: "failed", error: `no handshake within ${timeoutMs} ms` }), timeoutMs);
    socket.once("secureConnect", () => finish({ target: name, result: "ok", notAfter: new Date(socket.getPeerCertificate().valid_to).toISOString() }));
    socket.once("error", (err: Error) => finish({ target: name, result: "failed", error: err.message }));
  });
}
