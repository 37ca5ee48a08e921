/**
 * mTLS with client-certificate identity (optional, `--client-cert-identity`): Bun.serve verifies client
 * certificates but cannot show them to a handler, so node:tls terminates TLS, reads the verified peer's CN and
 * relays the plain bytes to a loopback Bun.serve. The handler finds the CN by the relay connection's source port;
 * a connection that did not come through the terminator has no identity and is refused.
 */
import { connect, type Socket } from "node:net";
import { createServer, type Server, type TLSSocket } from "node:tls";
import type { Logger } from "../observability/logger";
import type { ControlPlaneTls } from "./config";

export interface PeerIdentity {
  commonName: string;
}

export interface TlsTerminator {
  port: number;
  /** The verified client identity behind a relay connection, by the relay's local (source) port. */
  identityOf(relayPort: number): PeerIdentity | undefined;
  stop(): Promise<void>;
}

function commonNameOf(socket: TLSSocket): string {
  const subject = socket.getPeerCertificate()?.subject as { CN?: string | string[] } | undefined;
  const cn = subject?.CN;
  return Array.isArray(cn) ? (cn[0] ?? "") : (cn ?? "");
}

export async function startTlsTerminator(options: { hostname: string; port: number; tls: ControlPlaneTls & { clientCaPem: string }; upstreamPort: number; logger: Logger }): Promise<TlsTerminator> {
  const identities = new Map<number, PeerIdentity>();
  const sockets = new Set<Socket>();
  const server: Server = createServer({
    cert: options.tls.certPem,
    key: options.tls.keyPem,
    ca: options.tls.clientCaPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on("secureConnection", (client: TLSSocket) => {
    const identity = { commonName: commonNameOf(client) };
    const upstream = connect(options.upstreamPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    let relayPort: number | undefined;
    const close = () => {
      if (relayPort !== undefined) identities.delete(relayPort);
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.on("connect", () => {
      relayPort = upstream.localPort;
      if (relayPort !== undefined) identities.set(relayPort, identity);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", (err) => {
      options.logger.warn({ err: err.message }, "control plane relay to the HTTP listener failed");
      close();
    });
  });
  server.on("tlsClientError", (err) => options.logger.debug({ err: err.message }, "TLS handshake refused"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    identityOf: (relayPort) => identities.get(relayPort),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
