/**
 * Client TLS material from the Secrets named in `spec.security` (docs/connectivity.md#mtls-and-ca-pinning): the mTLS client
 * certificate and the CA that replaces the system roots. Validated on load (PEM parses, key matches the
 * certificate, certificate currently valid); problems are reported by message, never with the material.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { ClusterSpec } from "../../api/cluster";
import { secretValue, type Secret, type TlsMaterial } from "./credentials";

export type TlsResolution =
  | { ok: true; tls: TlsMaterial | undefined; expiresWithinDays?: number; insecure: boolean }
  | { ok: false; message: string };

const EXPIRY_WARNING_DAYS = 14;

export function resolveTls(spec: ClusterSpec, endpoint: string, secret: (name: string) => Secret | undefined, now: Date): TlsResolution {
  const security = spec.security;
  const mtlsName = security?.mtls?.secretRef.name;
  const caRef = security?.caBundleSecretRef;
  const configured = Boolean(mtlsName || caRef?.name);
  const insecure = endpoint.startsWith("http://");
  if (!configured) return { ok: true, tls: undefined, insecure };
  if (insecure) return { ok: false, message: "an http:// control-plane endpoint cannot be combined with TLS settings" };
  const tls: TlsMaterial = {};
  let expiresWithinDays: number | undefined;
  if (mtlsName) {
    const mtls = secret(mtlsName);
    if (!mtls) return { ok: false, message: `mTLS Secret ${mtlsName} not found` };
    const cert = secretValue(mtls, "tls.crt");
    const key = secretValue(mtls, "tls.key");
    if (!cert || !key) return { ok: false, message: `mTLS Secret ${mtlsName} lacks tls.crt or tls.key` };
    const checked = checkClientCertificate(cert, key, now);
    if (typeof checked === "string") return { ok: false, message: `mTLS Secret ${mtlsName}: ${checked}` };
    expiresWithinDays = checked.daysLeft <= EXPIRY_WARNING_DAYS ? checked.daysLeft : undefined;
    tls.cert = cert;
    tls.key = key;
    const ca = secretValue(mtls, "ca.crt");
    if (ca) tls.ca = ca;
  }
  if (caRef?.name) {
    const holder = secret(caRef.name);
    const key = caRef.key ?? "ca.crt";
    const ca = secretValue(holder, key);
    if (!holder) return { ok: false, message: `CA bundle Secret ${caRef.name} not found` };
    if (!ca) return { ok: false, message: `CA bundle Secret ${caRef.name} has no key ${key}` };
    if (!parsesAsCertificate(ca)) return { ok: false, message: `CA bundle Secret ${caRef.name}: ${key} is not a PEM certificate` };
    tls.ca = ca;
  }
  return { ok: true, tls, insecure: false, ...(expiresWithinDays !== undefined ? { expiresWithinDays } : {}) };
}

function checkClientCertificate(certPem: string, keyPem: string, now: Date): { daysLeft: number } | string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return "tls.crt is not a PEM certificate";
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return "tls.key does not match tls.crt";
  } catch {
    return "tls.key is not a usable PEM private key";
  }
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (now.getTime() < notBefore || now.getTime() > notAfter) return "the client certificate is not currently valid";
  return { daysLeft: Math.floor((notAfter - now.getTime()) / 86_400_000) };
}

function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
