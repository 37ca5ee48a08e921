// Loopback port helpers shared by the local cluster, private planes and tests (docs/development.md#the-local-cluster).
import { createConnection, createServer } from "node:net";

export const LOOPBACK = "127.0.0.1";

/** Binds host:0, reads the port the kernel chose and closes it again. */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (err) => reject(new Error(`cannot allocate a free port on ${host}: ${err.message}`)));
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`no port bound on ${host}`))));
    });
  });
}

/** Distinct free ports; a port handed out twice within one call is redrawn (bounded). */
export async function freePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  const ports = new Set<number>();
  for (let draws = 0; ports.size < count && draws < count * 5; draws++) ports.add(await freePort(host));
  if (ports.size < count) throw new Error(`could not allocate ${count} distinct ports on ${host}`);
  return [...ports];
}

/** True when something accepts a TCP connection on host:port within timeoutMs. */
export function tcpAccepts(port: number, host: string = LOOPBACK, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Matches the bind failure a Go server logs when the port was taken between allocation and use. */
export function isAddressInUse(logText: string): boolean {
  return /address already in use/i.test(logText);
}
