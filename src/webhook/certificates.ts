/**
 * X.509 for the webhook (operations.md §8.2) on Web Crypto via @peculiar/x509: an ECDSA P-256 CA and serving
 * certificate, and the pure renewal decision. Returns PEM; callers must never log `keyPem`.
 */
import "reflect-metadata"; // @peculiar/x509's tsyringe dependency throws without it (testing.md §12)
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" };
const EC_SIGNING = { name: "ECDSA", hash: "SHA-256" };
/** Tolerates clock skew between the operator and the API server. */
const BACKDATE_MS = 5 * 60_000;

export interface WebhookCertificates {
  /** Current CA first; during a CA rollover the previous CA follows until it expires. */
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

export interface SubjectNames {
  dns: readonly string[];
  ips: readonly string[];
}

export interface CertificatePolicy {
  caValidityMs: number;
  servingValidityMs: number;
  /** Renew the serving certificate when less than this remains. */
  servingRenewBeforeMs: number;
  /** Renew the CA when less than this remains. */
  caRenewBeforeMs: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_CERTIFICATE_POLICY: CertificatePolicy = {
  caValidityMs: 3650 * DAY_MS,
  servingValidityMs: 365 * DAY_MS,
  servingRenewBeforeMs: 30 * DAY_MS,
  caRenewBeforeMs: 365 * DAY_MS,
};

/** Service DNS names of §8.2 plus extra SANs (IPs for local runs). */
export function servingNames(service: string, namespace: string, extra: readonly string[]): SubjectNames {
  const dns = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
  const ips = extra.filter(isIpAddress);
  return { dns: [...dns, ...extra.filter((name) => !isIpAddress(name))], ips };
}

export type RenewalPlan = "keep" | "serving" | "ca";

/** What the leader must reissue, given the stored certificates. Pure. */
export function renewalPlan(current: WebhookCertificates, names: SubjectNames, now: Date, policy: CertificatePolicy): RenewalPlan {
  const ca = firstCertificate(current.caPem);
  if (ca.notAfter.getTime() - now.getTime() < policy.caRenewBeforeMs) return "ca";
  const serving = new x509.X509Certificate(current.certPem);
  if (serving.notAfter.getTime() - now.getTime() < policy.servingRenewBeforeMs) return "serving";
  if (!(serving.issuer === ca.subject && coversNames(serving, names))) return "serving";
  return "keep";
}

export async function createCertificates(names: SubjectNames, now: Date, policy: CertificatePolicy): Promise<WebhookCertificates> {
  const ca = await createCa(now, policy.caValidityMs);
  return { ...ca, ...(await issueServing(ca, names, now, policy.servingValidityMs)) };
}

/** Reissues the serving certificate, and for plan "ca" a new CA whose bundle keeps the old one. */
export async function renewCertificates(
  current: WebhookCertificates,
  plan: Exclude<RenewalPlan, "keep">,
  names: SubjectNames,
  now: Date,
  policy: CertificatePolicy,
): Promise<WebhookCertificates> {
  if (plan === "serving") return { ...current, ...(await issueServing(current, names, now, policy.servingValidityMs)) };
  const ca = await createCa(now, policy.caValidityMs);
  const stillValid = pemCertificates(current.caPem).filter((cert) => cert.notAfter > now);
  const caPem = [ca.caPem, ...stillValid.map((cert) => cert.toString("pem"))].join("\n");
  return { caPem, caKeyPem: ca.caKeyPem, ...(await issueServing(ca, names, now, policy.servingValidityMs)) };
}

export function certificateNotAfter(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

async function createCa(now: Date, validityMs: number): Promise<Pick<WebhookCertificates, "caPem" | "caKeyPem">> {
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=vworkspace-operator-webhook-ca-${now.getTime()}`,
    keys,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caPem: cert.toString("pem"), caKeyPem: await keyPem(keys.privateKey) };
}

async function issueServing(
  ca: Pick<WebhookCertificates, "caPem" | "caKeyPem">,
  names: SubjectNames,
  now: Date,
  validityMs: number,
): Promise<Pick<WebhookCertificates, "certPem" | "keyPem">> {
  const caCert = firstCertificate(ca.caPem);
  const caKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(ca.caKeyPem), EC_KEY, false, ["sign"]);
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"])) as CryptoKeyPair;
  const sans = [...names.dns.map((value) => ({ type: "dns" as const, value })), ...names.ips.map((value) => ({ type: "ip" as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${names.dns[0] ?? "vworkspace-operator-webhook"}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      new x509.SubjectAlternativeNameExtension(sans, false),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

function coversNames(cert: x509.X509Certificate, names: SubjectNames): boolean {
  const extension = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const present = new Set((extension?.names.items ?? []).map((name) => `${name.type}:${name.value}`));
  return names.dns.every((dns) => present.has(`dns:${dns}`)) && names.ips.every((ip) => present.has(`ip:${ip}`));
}

function pemCertificates(pem: string): x509.X509Certificate[] {
  return x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der));
}

function firstCertificate(pem: string): x509.X509Certificate {
  const [first] = pemCertificates(pem);
  if (!first) throw new Error("ca.crt holds no certificate");
  return first;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}
