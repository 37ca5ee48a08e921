/**
 * 10,000 fuzzed envelopes (fast-check, fixed seed, printed on failure) served by the hostile proxy, about
 * half validly signed so they reach decoding and the write rules. Every envelope with an id gets exactly one
 * result; none succeeds unless it is a signed write of an allowed kind into the gated or Velero namespace; the
 * agent keeps working. What was written anywhere else is caught by the audit.
 */
import fc from "fast-check";
import { BAD_API_VERSIONS } from "./intents";
import { recordAttack } from "../support/tally";
import { answerable, canaryJob, injectJobs, sign, type Stage } from "../support/stage";

export const FUZZ_SEED = Number(process.env.VWS_FUZZ_SEED ?? 20_261_207);
const ENVELOPES = 10_000;
const BATCH = 1_000;
const ALLOWED = new Set(["ApplicationInstance", "Operation", "HelmRelease", "HelmRepository", "OCIRepository", "Schedule", "ConfigMap"]);

function manifest(stage: Stage): fc.Arbitrary<Record<string, unknown>> {
  const { ns } = stage;
  return fc.record({
    apiVersion: fc.oneof(fc.constantFrom("v1", "apps.vworkspace.io/v1alpha1", "ops.vworkspace.io/v1alpha1", "helm.toolkit.fluxcd.io/v2", "velero.io/v1", "rbac.authorization.k8s.io/v1", "apps/v1", ...BAD_API_VERSIONS), fc.string()),
    kind: fc.oneof(fc.constantFrom("ConfigMap", "Secret", "Namespace", "ClusterRoleBinding", "HelmRelease", "Schedule", "BackupStorageLocation", "Cluster", "Deployment", "ApplicationInstance", "Operation"), fc.string()),
    metadata: fc.record({
      name: fc.oneof(fc.constantFrom("fz", "app-credentials", "../secrets/app-credentials", "vworkspace-applied-jobs"), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string()),
      namespace: fc.oneof(fc.constantFrom(ns.gated, ns.velero, ns.victim, ns.operator, "kube-system", "", `${ns.gated}/..`), fc.string()),
      labels: fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    }, { requiredKeys: ["name"] }),
    data: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
    spec: fc.jsonValue({ maxDepth: 3 }),
  }, { requiredKeys: ["apiVersion", "kind", "metadata"] });
}

function envelopeArbitrary(stage: Stage): fc.Arbitrary<{ job: Record<string, unknown>; signed: boolean }> {
  const payload = fc.oneof(
    { weight: 4, arbitrary: manifest(stage) },
    { weight: 2, arbitrary: fc.record({ intent: fc.oneof(fc.constantFrom("ensure-application-instance", "request-operation", "delete-application-instance"), fc.string()), applicationInstance: manifest(stage), operation: manifest(stage), name: fc.string(), namespace: fc.constantFrom(stage.ns.gated, "kube-system") }, { requiredKeys: ["intent"] }) },
    { weight: 1, arbitrary: fc.record({ apiVersion: fc.constantFrom("v1", ...BAD_API_VERSIONS), kind: fc.constantFrom("ConfigMap", "Secret", "Namespace"), name: fc.string(), namespace: fc.constantFrom(stage.ns.gated, "kube-system", stage.ns.operator) }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  const job = fc.record({
    kind: fc.oneof(fc.constantFrom("apply", "delete", "intent"), fc.string(), fc.integer()),
    payload,
    idempotencyKey: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null)),
    expiresAt: fc.oneof(fc.constant("2000-01-01T00:00:00Z"), fc.constant("9999-01-01T00:00:00Z"), fc.string(), fc.integer()),
    encryptedPayload: fc.oneof(fc.string(), fc.constant("a.b.c.d.e"), fc.constant(null)),
    extra: fc.jsonValue({ maxDepth: 2 }),
  }, { requiredKeys: ["kind", "payload"] });
  return fc.record({ job, signed: fc.boolean(), badId: fc.oneof({ weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }, { weight: 19, arbitrary: fc.constant(undefined) }) }).map(({ job: fields, signed, badId }) => ({ job: { ...fields, ...(badId !== undefined ? { id: badId } : {}) }, signed }));
}

/** True when a `succeeded` result for this envelope stays within the rules. */
function allowedSuccess(stage: Stage, job: Record<string, unknown>, signed: boolean): boolean {
  if (!signed) return false;
  const payload = job.payload as Record<string, unknown> | null;
  const target = (job.kind === "intent" ? (payload?.applicationInstance ?? payload?.operation ?? payload) : payload) as Record<string, unknown> | null;
  const metadata = (target?.metadata ?? {}) as Record<string, unknown>;
  const namespace = (metadata.namespace ?? payload?.namespace) as unknown;
  const kindAllowed = job.kind === "intent" || ALLOWED.has(String(target?.kind));
  return kindAllowed && (namespace === stage.ns.gated || namespace === stage.ns.velero);
}

export async function fuzzEnvelopes(stage: Stage): Promise<string[]> {
  const samples = fc.sample(envelopeArbitrary(stage), { seed: FUZZ_SEED, numRuns: ENVELOPES });
  const problems: string[] = [];
  let safe = 0;
  for (let start = 0; start < samples.length; start += BATCH) {
    const batch: Array<{ job: Record<string, unknown>; signed: boolean }> = [];
    for (const [offset, sample] of samples.slice(start, start + BATCH).entries()) {
      // As it travels: JSON only (undefined members dropped).
      const job = JSON.parse(JSON.stringify("id" in sample.job ? sample.job : { id: `fz-${start + offset}-${crypto.randomUUID().slice(0, 8)}`, ...sample.job })) as Record<string, unknown>;
      // Numbers beyond I-JSON cannot be signed: such an envelope travels unsigned.
      const signature = sample.signed && typeof job.id === "string" ? await sign(stage, job).catch(() => undefined) : undefined;
      if (signature) job.signature = signature;
      batch.push({ job, signed: signature !== undefined });
    }
    const results = await injectJobs(stage, batch.map((entry) => entry.job), 120_000);
    for (const { job, signed } of batch) {
      if (!answerable(job.id)) {
        safe += 1;
        continue;
      }
      const result = results.get(job.id);
      const ok = result !== undefined && (result.outcome !== "succeeded" || allowedSuccess(stage, job, signed));
      if (ok) safe += 1;
      else if (problems.length < 5) problems.push(`fuzz seed ${FUZZ_SEED}: envelope ${JSON.stringify(job).slice(0, 300)} answered ${JSON.stringify(result)}`);
    }
  }
  const alive = await canaryJob(stage);
  if (!alive) problems.push(`fuzz seed ${FUZZ_SEED}: the agent no longer applies a signed job`);
  for (let index = 0; index < samples.length; index += 1) recordAttack("fuzzed envelope", { refused: index < safe, escaped: !alive && index === 0, note: `seed ${FUZZ_SEED}` });
  return problems;
}
