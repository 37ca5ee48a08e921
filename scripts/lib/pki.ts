// In-process PKI over WebCrypto (docs/development.md#pki): CAs and EC P-256 leaves with arbitrary validity,
// EKUs and SANs, plus the RSA-2048 service-account key, and the on-disk PKI directory of a control
// plane (docs/development.md#pki layout). Shared by the local cluster, private planes, webhook TLS and mTLS tests.
// Never log what this returns.
import "reflect-metadata"; // @peculiar/x509's tsyringe dependency throws without it (docs/development.md#pitfalls)
import * as x509 from "@peculiar/x509";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

x509.cryptoProvider.set(globalThis.crypto);

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" };
const EC_SIGNING = { name: "ECDSA", hash: "SHA-256" };
const RSA_SA_KEY = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};
const DAY_MS = 86_400_000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends PemPair {
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface Validity {
  /** Default: one hour ago (tolerates small clock skew between processes). */
  notBefore?: Date;
  /** Default: notBefore + validityDays. */
  notAfter?: Date;
}

export interface CaOptions extends Validity {
  cn: string;
  org?: string;
  /** Used when notAfter is absent; default 3650. */
  validityDays?: number;
}

export type CertUsage = "server" | "client" | "both";

export interface CertOptions extends Validity {
  cn: string;
  /** Organization(s); for client certs these become Kubernetes groups. */
  org?: string | string[];
  sans?: { ips?: string[]; dns?: string[] };
  usage: CertUsage;
  /** Used when notAfter is absent; default 365. */
  validityDays?: number;
}

export interface ServiceAccountKeyPair {
  /** PKCS#8 "PRIVATE KEY" PEM (--service-account-signing-key-file, KCM --service-account-private-key-file). */
  privateKeyPem: string;
  /** SPKI "PUBLIC KEY" PEM (--service-account-key-file). */
  publicKeyPem: string;
}

export async function createCa(opts: CaOptions): Promise<CertificateAuthority> {
  const keys = await generateEcKeys();
  const { notBefore, notAfter } = validity(opts, opts.validityDays ?? 3650);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: distinguishedName(opts.cn, opts.org),
    keys,
    notBefore,
    notAfter,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, privateKey: keys.privateKey, certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Re-reads a CA written earlier (PEM certificate + PKCS#8 EC key), e.g. for a plane restart. */
export async function loadCa(pair: PemPair): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(pair.certPem);
  const der = x509.PemConverter.decodeFirst(pair.keyPem);
  const privateKey = await crypto.subtle.importKey("pkcs8", der, EC_KEY, true, ["sign"]);
  return { cert, privateKey, certPem: pair.certPem, keyPem: pair.keyPem };
}

export async function issueCert(ca: CertificateAuthority, opts: CertOptions): Promise<PemPair> {
  const keys = await generateEcKeys();
  const { notBefore, notAfter } = validity(opts, opts.validityDays ?? 365);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(extendedKeyUsages(opts.usage), false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  const names = subjectAltNames(opts.sans);
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const cert = await x509.X509CertificateGenerator.create({
    subject: distinguishedName(opts.cn, opts.org),
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: EC_SIGNING,
    extensions,
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

export async function createServiceAccountKeyPair(): Promise<ServiceAccountKeyPair> {
  const keys = await crypto.subtle.generateKey(RSA_SA_KEY, true, ["sign", "verify"]);
  const spki = await crypto.subtle.exportKey("spki", keys.publicKey);
  return { privateKeyPem: await privateKeyPem(keys.privateKey), publicKeyPem: x509.PemConverter.encode(spki, "PUBLIC KEY") };
}

/** notAfter of a PEM certificate, for reuse decisions. */
export function certNotAfter(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}

/** IP addresses among the certificate's subject alternative names. */
export function certIps(certPem: string): string[] {
  const ext = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  return (ext?.names.items ?? []).filter((n) => n.type === "ip").map((n) => n.value);
}

/** True when certPem was signed by caPem (used to detect a PKI directory that mixes generations). */
export async function isIssuedBy(certPem: string, caPem: string): Promise<boolean> {
  const cert = new x509.X509Certificate(certPem);
  const ca = new x509.X509Certificate(caPem);
  return cert.issuer === ca.subject && (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }));
}

// ---------------------------------------------------------------- control-plane PKI directory (docs/development.md#pki)

export interface PlanePkiPaths {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  kcmCert: string;
  kcmKey: string;
  saKey: string;
  saPub: string;
}

export interface PlanePki {
  paths: PlanePkiPaths;
  ca: PemPair;
  /** CN vws-admin, O system:masters. */
  admin: PemPair;
}

const LOOPBACK_SANS = { ips: ["127.0.0.1", "::1"], dns: ["localhost"] };
// Pods of a local node reach kube-apiserver as Service default/kubernetes (first IP of 10.0.0.0/24) on the
// node IP (scripts/lib/node-host.ts).
const APISERVER_SANS = {
  ips: [...LOOPBACK_SANS.ips, "10.0.0.1", "10.253.255.1"],
  dns: [...LOOPBACK_SANS.dns, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
};
const MIN_REMAINING_MS = DAY_MS;

export function planePkiPaths(dir: string): PlanePkiPaths {
  const f = (name: string) => join(dir, name);
  return {
    caCert: f("ca.crt"),
    caKey: f("ca.key"),
    apiserverCert: f("apiserver.crt"),
    apiserverKey: f("apiserver.key"),
    adminCert: f("admin.crt"),
    adminKey: f("admin.key"),
    kcmCert: f("kcm.crt"),
    kcmKey: f("kcm.key"),
    saKey: f("sa.key"),
    saPub: f("sa.pub"),
  };
}

/**
 * Reuses the PKI in dir while complete, consistent, valid for another day and (given apiHost) naming
 * apiHost in the apiserver certificate; else writes a fresh one.
 */
export async function ensurePlanePki(dir: string, apiHost?: string): Promise<PlanePki> {
  const paths = planePkiPaths(dir);
  if (!(await planePkiUsable(paths, apiHost))) await writePlanePki(dir, paths);
  const read = (p: string) => readFileSync(p, "utf8");
  return {
    paths,
    ca: { certPem: read(paths.caCert), keyPem: read(paths.caKey) },
    admin: { certPem: read(paths.adminCert), keyPem: read(paths.adminKey) },
  };
}

async function planePkiUsable(paths: PlanePkiPaths, apiHost: string | undefined): Promise<boolean> {
  if (!Object.values(paths).every((p) => existsSync(p))) return false;
  try {
    const ca = readFileSync(paths.caCert, "utf8");
    if (apiHost && !certIps(readFileSync(paths.apiserverCert, "utf8")).includes(apiHost)) return false;
    for (const certPath of [paths.caCert, paths.apiserverCert, paths.adminCert, paths.kcmCert]) {
      const cert = readFileSync(certPath, "utf8");
      if (certNotAfter(cert).getTime() - Date.now() < MIN_REMAINING_MS || !(await isIssuedBy(cert, ca))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

async function writePlanePki(dir: string, paths: PlanePkiPaths): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const ca = await createCa({ cn: "vws-local-ca" });
  const apiserver = await issueCert(ca, { cn: "kube-apiserver", usage: "server", sans: APISERVER_SANS });
  const admin = await issueCert(ca, { cn: "vws-admin", org: "system:masters", usage: "client" });
  const kcm = await issueCert(ca, { cn: "kube-controller-manager", usage: "server", sans: LOOPBACK_SANS });
  const sa = await createServiceAccountKeyPair();
  const files: [string, string][] = [
    [paths.caCert, ca.certPem],
    [paths.caKey, ca.keyPem],
    [paths.apiserverCert, apiserver.certPem],
    [paths.apiserverKey, apiserver.keyPem],
    [paths.adminCert, admin.certPem],
    [paths.adminKey, admin.keyPem],
    [paths.kcmCert, kcm.certPem],
    [paths.kcmKey, kcm.keyPem],
    [paths.saKey, sa.privateKeyPem],
    [paths.saPub, sa.publicKeyPem],
  ];
  for (const [path, pem] of files) {
    writeFileSync(path, pem, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
}

async function generateEcKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function validity(v: Validity, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const notBefore = v.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = v.notAfter ?? new Date(notBefore.getTime() + defaultDays * DAY_MS);
  if (notAfter <= notBefore) throw new Error(`certificate notAfter ${notAfter.toISOString()} is not after notBefore`);
  return { notBefore, notAfter };
}

// JSON names avoid escaping issues with values such as "system:masters".
function distinguishedName(cn: string, org: string | string[] | undefined): x509.JsonName {
  const orgs = org === undefined ? [] : Array.isArray(org) ? org : [org];
  return [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }];
}

function extendedKeyUsages(usage: CertUsage): x509.ExtendedKeyUsage[] {
  switch (usage) {
    case "server":
      return [x509.ExtendedKeyUsage.serverAuth];
    case "client":
      return [x509.ExtendedKeyUsage.clientAuth];
    case "both":
      return [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  }
}

function subjectAltNames(sans: CertOptions["sans"]): x509.JsonGeneralName[] {
  return [
    ...(sans?.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(sans?.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
}
