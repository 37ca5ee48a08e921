/** Flags every admin-side helper shares (docs/connectivity.md#cli-helpers): where the plane is and the admin token. */
import { readFileSync } from "node:fs";
import { FlagError, type FlagSpec, type ParsedFlags } from "../../commandline/flags";
import { AdminClient } from "../admin-client";

export const ADMIN_FLAGS: FlagSpec[] = [
  { name: "url", type: "string", env: "VWORKSPACE_CP_URL", default: "http://127.0.0.1:8080", help: "control plane base URL" },
  { name: "admin-token", type: "string", env: "VWORKSPACE_CP_ADMIN_TOKEN", help: "admin API token" },
  { name: "ca", type: "string", help: "PEM CA file to trust for an HTTPS control plane" },
  { name: "client-cert", type: "string", help: "PEM client certificate file for an mTLS control plane" },
  { name: "client-key", type: "string", help: "PEM client key file for an mTLS control plane" },
];

function read(path: string | undefined): string | undefined {
  return path ? readFileSync(path, "utf8") : undefined;
}

export function adminClientFrom(parsed: ParsedFlags): AdminClient {
  const adminToken = parsed.values.get("admin-token") as string | undefined;
  if (!adminToken) throw new FlagError("--admin-token (or $VWORKSPACE_CP_ADMIN_TOKEN) is required");
  const ca = read(parsed.values.get("ca") as string | undefined);
  const cert = read(parsed.values.get("client-cert") as string | undefined);
  const key = read(parsed.values.get("client-key") as string | undefined);
  const tls = ca || cert || key ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } : undefined;
  return new AdminClient({ url: parsed.values.get("url") as string, adminToken, ...(tls ? { tls } : {}) });
}
