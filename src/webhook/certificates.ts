/**
 * X.509 for the webhook (docs/operations.md#serving-certificate): an ECDSA P-256 CA and serving certificate issued with
 * @peculiar/x509 on Web Crypto (loaded on first issue), and the pure renewal decision, which reads
 * certificates with node:crypto. Returns PEM; callers must never log `keyPem`.
 */
import { X509Certificate } from "node:crypto";

const loadX509 = async () => (await import("./x509")).x509;

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

/** Service DNS names of docs/operations.md#serving-certificate plus extra SANs (IPs for local runs). */
export function servingNames(service: string, namespace: string, extra: readonly string[]): SubjectNames {
  const dns = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
  const ips = extra.filter(isIpAddress);
  return { dns: [...dns, ...extra.filter((name) => !isIpAddress(name))], ips };
}

export type RenewalPlan = "keep" | "serving" | "ca";

/** What the leader must reissue, given the stored certificates. Pure. */
export function renewalPlan(current: WebhookCertificates, names: SubjectNames, now: Date, policy: CertificatePolicy): RenewalPlan {
  const ca = new X509Certificate(firstPemBlock(current.caPem));
  if (notAfter(ca).getTime() - now.getTime() < policy.caRenewBeforeMs) return "ca";
  const serving = new X509Certificate(current.certPem);
  if (notAfter(serving).getTime() - now.getTime() < policy.servingRenewBeforeMs) return "serving";
  if (!(serving.checkIssued(ca) && coversNames(serving, names))) return "serving";
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
  const stillValid = pemBlocks(current.caPem).filter((block) => notAfter(new X509Certificate(block)) > now);
  const caPem = [ca.caPem, ...stillValid].join("\n");
  return { caPem, caKeyPem: ca.caKeyPem, ...(await issueServing(ca, names, now, policy.servingValidityMs)) };
}

export function certificateNotAfter(certPem: string): Date {
  return notAfter(new X509Certificate(certPem));
}

async function createCa(now: Date, validityMs: number): Promise<Pick<WebhookCertificates, "caPem" | "caKeyPem">> {
  const x509 = await loadX509();
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
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(firstPemBlock(ca.caPem));
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

function coversNames(cert: X509Certificate, names: SubjectNames): boolean {
  // node:crypto renders SANs as "DNS:a, DNS:b, IP Address:127.0.0.1".
  const present = new Set((cert.subjectAltName ?? "").split(", ").filter(Boolean));
  return names.dns.every((dns) => present.has(`DNS:${dns}`)) && names.ips.every((ip) => present.has(`IP Address:${ip}`));
}

function notAfter(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function firstPemBlock(pem: string): string {
  const [first] = pemBlocks(pem);
  if (!first) throw new Error("ca.crt holds no certificate");
  return first;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const x509 = await loadX509();
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}
