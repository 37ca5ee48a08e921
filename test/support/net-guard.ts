/** Tests may only talk to this machine: wrap fetch so any other host fails loudly (docs/development.md#principles). */

import { NODE_NAMES } from "../../scripts/lib/node-host";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
// A local node's address and its Pods' bridge subnet are on this machine too (scripts/lib/node-host.ts).
const POD_PREFIX = NODE_NAMES.podSubnet.replace(/\.0\/24$/, ".");

function onThisMachine(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith("127.") || host === NODE_NAMES.nodeIp || host.startsWith(POD_PREFIX);
}

function hostOf(input: string | URL | Request): string {
  const url = input instanceof Request ? new URL(input.url) : new URL(String(input));
  return url.hostname;
}

export function installNetGuard(): void {
  const original = globalThis.fetch;
  const guarded = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const host = hostOf(input);
    if (!onThisMachine(host)) {
      return Promise.reject(new Error(`net-guard: tests may not reach ${host}`));
    }
    return original(input, init);
  };
  globalThis.fetch = Object.assign(guarded, original);
}
