/**
 * Signed and encrypted jobs (docs/connectivity.md#signed-jobs, docs/connectivity.md#encrypted-payloads) end to end: in `enforce` nothing is applied for forged,
 * replayed, cross-cluster, expired, not-yet-valid, unsigned or unknown-kid jobs; `warn` applies and audits; keys
 * from the register response are trusted on first use; JWE payloads decrypt with the cluster key and every
 * tampered variant is refused.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { importJWK } from "jose";
import { CONFIG_MAP } from "../../../src/agent/jobs/ledger-store";
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { classifyError } from "../../../src/kube/errors";
import { encryptJobPayload, generateSigningKey, signJob, type ClusterPublicKey, type SigningKey } from "../../../src/security";
import { eventually } from "../../support/eventually";
import { useNamespace } from "../../support/namespace";
import { clusterEvents, condition, configMap, getClusterObject, registeredAgent, resultOf, waitForClusterCondition, useAgentSuite } from "./harness";

const ns = useNamespace({ slug: "agent-security" });
const suite = useAgentSuite();

async function written(name: string): Promise<boolean> {
  try {
    await suite.cluster.client.get(CONFIG_MAP, name, { namespace: ns.name });
    return true;
  } catch (err) {
    if (classifyError(err) === "notFound") return false;
    throw err;
  }
}

async function trustedKeysSecret(key: SigningKey): Promise<void> {
  const jwks = JSON.stringify({ keys: [key.publicJwk] });
  await suite.cluster.client.create(SECRET, { apiVersion: "v1", kind: "Secret", metadata: { name: "trusted", namespace: ns.name }, data: { "jwks.json": Buffer.from(jwks).toString("base64") } });
}

async function signed(key: SigningKey, envelope: Record<string, unknown>, claims: { clusterId: string; iat?: number; kid?: string }): Promise<Record<string, unknown>> {
  const privateKey = await importJWK(key.privateJwk, "EdDSA");
  const signature = await signJob(envelope, { privateKey, kid: claims.kid ?? key.kid, alg: "EdDSA", clusterId: claims.clusterId, iat: claims.iat ?? Math.floor(Date.now() / 1000) });
  return { ...envelope, signature };
}

function job(name: string): Record<string, unknown> {
  return { id: `${name}-${crypto.randomUUID()}`, kind: "apply", payload: configMap(ns.name, name, { a: "1" }), createdAt: new Date().toISOString() };
}

describe("signed jobs", () => {
  test("enforce: only valid signatures are applied; every failure is answered failed, audited and surfaced", async () => {
    const key = await generateSigningKey();
    await trustedKeysSecret(key);
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name, { security: { payloadSigning: { mode: "enforce", trustedKeysSecretRef: { name: "trusted" } } } });
    suite.running = agent.running;
    const clusterId = agent.clusterId;
    const now = Math.floor(Date.now() / 1000);

    const valid = await signed(key, job("valid"), { clusterId });
    const forged = { ...(await signed(key, job("forged"), { clusterId })), payload: configMap(ns.name, "forged", { a: "evil" }) };
    const crossCluster = await signed(key, job("cross"), { clusterId: "another-cluster" });
    const stale = await signed(key, job("stale"), { clusterId, iat: now - 86_400 - 3_600 });
    const future = await signed(key, job("future"), { clusterId, iat: now + 3_600 });
    const unknownKid = await signed(key, job("unknownkid"), { clusterId, kid: "not-a-trusted-kid" });
    const unsigned = job("unsigned");
    const addedMember = { ...(await signed(key, job("added"), { clusterId })), note: "added after signing" };
    const cases: Array<[Record<string, unknown>, string]> = [
      [forged, "bad-signature"],
      [crossCluster, "cluster-mismatch"],
      [stale, "stale"],
      [future, "not-yet-valid"],
      [unknownKid, "unknown-kid"],
      [unsigned, "missing"],
      [addedMember, "bad-signature"],
    ];
    await suite.plane.admin.enqueueRawJob(clusterId, valid);
    for (const [envelope] of cases) await suite.plane.admin.enqueueRawJob(clusterId, envelope);

    expect((await resultOf(suite.plane, valid.id as string)).outcome).toBe("succeeded");
    expect(await written("valid")).toBe(true);
    for (const [envelope, cause] of cases) {
      const result = await resultOf(suite.plane, envelope.id as string);
      expect(result).toMatchObject({ outcome: "failed", errorCode: "JobPayloadSignatureInvalid", error: `JobPayloadSignatureInvalid: ${cause}` });
      expect(await written(((envelope.payload as { metadata: { name: string } }).metadata.name))).toBe(false);
    }
    const audits = await eventually(async () => {
      const { events } = await suite.plane.admin.events({ clusterId, eventKind: "Audit" });
      return events.length >= cases.length ? events : undefined;
    }, { what: "Audit events for every failure" });
    expect(audits.every((event) => event.conditions?.[0]?.reason === "JobPayloadSignatureInvalid")).toBe(true);
    const state = await waitForClusterCondition(suite.cluster.client, "PayloadsVerified", { status: "False" });
    expect(condition(state, "PayloadsVerified")?.reason).toBe("JobPayloadSignatureInvalid");
    expect(state.status?.phase).toBe("Connected");
    await eventually(async () => (await clusterEvents(suite.cluster.client, state.metadata.uid!)).some((event) => event.reason === "JobPayloadSignatureInvalid"), { what: "Warning Event JobPayloadSignatureInvalid" });

    // Replay of the completed valid job id with its valid signature: noop/JobReplayed, nothing written again.
    await suite.cluster.client.delete(CONFIG_MAP, "valid", { namespace: ns.name });
    await eventually(async () => {
      const stored = (await suite.cluster.client.get(CONFIG_MAP, "vworkspace-applied-jobs", { namespace: ns.name })) as { data?: Record<string, string> };
      return stored.data?.["processed-jobs.json"]?.includes(`"${valid.id as string}":{"at"`);
    }, { what: "ledger holds the valid job" });
    const db = new Database(suite.plane.dbPath);
    db.run("DELETE FROM jobs WHERE id = ?", [valid.id as string]);
    db.close();
    await suite.plane.admin.enqueueRawJob(clusterId, valid);
    const replay = await eventually(async () => {
      const result = await suite.plane.admin.jobResult(valid.id as string);
      return result?.errorCode === "JobReplayed" ? result : undefined;
    }, { what: "replayed job answered" });
    expect(replay.outcome).toBe("noop");
    expect(await written("valid")).toBe(false);
  });

  test("warn: a forged job is applied and audited", async () => {
    const key = await generateSigningKey();
    await trustedKeysSecret(key);
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name, { security: { payloadSigning: { mode: "warn", trustedKeysSecretRef: { name: "trusted" } } } });
    suite.running = agent.running;
    const forged: Record<string, unknown> = { ...(await signed(key, job("warned"), { clusterId: agent.clusterId })), idempotencyKey: "changed-after-signing" };
    await suite.plane.admin.enqueueRawJob(agent.clusterId, forged);
    expect((await resultOf(suite.plane, forged.id as string)).outcome).toBe("succeeded");
    expect(await written("warned")).toBe(true);
    const { events } = await eventually(async () => {
      const found = await suite.plane.admin.events({ clusterId: agent.clusterId, eventKind: "Audit" });
      return found.events.length > 0 ? found : undefined;
    }, { what: "Audit event" });
    expect(events[0]?.eventKey).toBe(`audit/JobPayloadSignatureInvalid/${forged.id as string}`);
    expect(events[0]?.jobId).toBe(forged.id as string);
  });

  test("keys from the register response are trusted on first use: plane-signed jobs pass enforce", async () => {
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name, { security: { payloadSigning: { mode: "enforce" } } });
    suite.running = agent.running;
    const secret = await suite.cluster.client.get(SECRET, "vworkspace-agent-credentials", { namespace: ns.name });
    const stored = JSON.parse(Buffer.from((secret as unknown as { data: Record<string, string> }).data["control-plane-jwks.json"]!, "base64").toString());
    expect(stored.keys.map((key: { kid: string }) => key.kid)).toEqual((await suite.plane.admin.jwks()).keys.map((key) => key.kid));
    const { id } = await suite.plane.admin.enqueueJob(agent.clusterId, { kind: "apply", payload: configMap(ns.name, "tofu", { a: "1" }) }, { sign: true });
    expect((await resultOf(suite.plane, id)).outcome).toBe("succeeded");
    const verified = await waitForClusterCondition(suite.cluster.client, "PayloadsVerified", { reason: "SignatureVerified" });
    expect(condition(verified, "PayloadsVerified")?.status).toBe("True");
  });
});

describe("encrypted jobs", () => {
  test("the cluster key decrypts plane-encrypted jobs; tampered or misaddressed ones are refused", async () => {
    const agent = await registeredAgent(suite.cluster, suite.plane, ns.name, { security: { payloadSigning: { mode: "disabled" }, payloadEncryption: { mode: "enforce" } } });
    suite.running = agent.running;
    const { clusterId } = agent;
    const secretValue = `plaintext-marker-${crypto.randomUUID()}`;
    const { id } = await suite.plane.admin.enqueueJob(clusterId, { kind: "apply", payload: configMap(ns.name, "sealed", { value: secretValue }) }, { encrypt: true, sign: false });
    expect((await resultOf(suite.plane, id)).outcome).toBe("succeeded");
    expect(((await suite.cluster.client.get(CONFIG_MAP, "sealed", { namespace: ns.name })) as { data?: Record<string, string> }).data?.value).toBe(secretValue);

    const publicKey = (await getClusterObject(suite.cluster.client))!.status!.publicKey as ClusterPublicKey;
    const sealed = await encryptJobPayload(configMap(ns.name, "tampered", { value: secretValue }), publicKey);
    const parts = sealed.split(".");
    const cipher = Buffer.from(parts[3]!, "base64url");
    cipher[0] = cipher[0]! ^ 0xff;
    const flipped = [...parts.slice(0, 3), cipher.toString("base64url"), parts[4]].join(".");
    const header = (changes: Record<string, unknown>) => {
      const decoded = JSON.parse(Buffer.from(parts[0]!, "base64url").toString());
      return [Buffer.from(JSON.stringify({ ...decoded, ...changes })).toString("base64url"), ...parts.slice(1)].join(".");
    };
    const refused = [flipped, header({ kid: "someone-else" }), header({ alg: "ECDH-ES" }), header({ enc: "A128GCM" }), header({ zip: "DEF" })];
    const ids: string[] = [];
    for (const encryptedPayload of refused) {
      const envelope = { id: `sealed-${crypto.randomUUID()}`, kind: "apply", encryptedPayload, createdAt: new Date().toISOString() };
      ids.push(envelope.id);
      await suite.plane.admin.enqueueRawJob(clusterId, envelope);
    }
    const plaintext = { id: `plain-${crypto.randomUUID()}`, kind: "apply", payload: configMap(ns.name, "plain", { a: "1" }), createdAt: new Date().toISOString() };
    await suite.plane.admin.enqueueRawJob(clusterId, plaintext);
    for (const jobId of ids) {
      const result = await resultOf(suite.plane, jobId);
      expect(result).toMatchObject({ outcome: "failed", errorCode: "JobPayloadDecryptionFailed" });
      expect(JSON.stringify(result)).not.toContain(secretValue);
    }
    expect(await written("tampered")).toBe(false);
    expect(await resultOf(suite.plane, plaintext.id)).toMatchObject({ outcome: "failed", errorCode: "JobPayloadNotEncrypted" });
    expect(await written("plain")).toBe(false);
    const state = await waitForClusterCondition(suite.cluster.client, "PayloadsEncrypted", { status: "False" });
    expect(["JobPayloadDecryptionFailed", "JobPayloadNotEncrypted"]).toContain(condition(state, "PayloadsEncrypted")!.reason);
    expect(condition(state, "PayloadsVerified")).toBeUndefined();
    suite.running.logs.assertNoSecrets([secretValue]);
  });
});
