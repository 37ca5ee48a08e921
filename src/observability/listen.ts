import type { Logger } from "./logger";
import { serverErrors } from "./server-errors";

/** Binds a fetch handler to a Go-style bind address (":8081", "127.0.0.1:0"); "0" means disabled. */

export interface Listener {
  /** Base URL with the bound port, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface BindAddress {
  hostname: string;
  port: number;
}

export function parseBindAddress(address: string): BindAddress | undefined {
  if (address === "0" || address === "") return undefined;
  const colon = address.lastIndexOf(":");
  if (colon < 0) throw new Error(`bind address "${address}" has no port (expected host:port or :port)`);
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bind address "${address}" has an invalid port`);
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

export function listen(address: BindAddress, fetch: (request: Request) => Response | Promise<Response>, name: string, logger?: Logger): Listener {
  const server = Bun.serve({ hostname: address.hostname, port: address.port, fetch, idleTimeout: 30, ...serverErrors(logger, name) });
  const shownHost = address.hostname === "0.0.0.0" ? "127.0.0.1" : address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return {
    url: `http://${shownHost}:${server.port}`,
    port: server.port as number,
    stop: () => server.stop(true),
  };
}
