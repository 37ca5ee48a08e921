/**
 * 10,000 fuzzed AdmissionReview bodies (fast-check, fixed seed printed in the test name and on failure)
 * POSTed to the real admission webhook server of an in-process operator: reviews with fuzzed requests,
 * arbitrary JSON and arbitrary bytes. Every answer is 200 with a well-formed verdict for the request's uid,
 * or 400/413 for what is not a review; never a 5xx, never a dropped connection; the server answers a valid
 * review and its health probe afterwards.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { APPLICATION_INSTANCE, OPERATION } from "../../src/api/groups";
import { webhookPath } from "../../src/webhook/rules";
import { getCluster } from "../support/cluster";
import { startWebhook, type WebhookHarness } from "../integration/webhook/harness";
import { applicationInstanceObject, operationObject } from "../unit/api/fixtures";

const SEED = Number(process.env.VWS_FUZZ_SEED ?? 20_261_207);
const BODIES = 10_000;
const CONCURRENCY = 8;
const PATHS = [webhookPath(APPLICATION_INSTANCE), webhookPath(OPERATION)];

let webhook: WebhookHarness;

beforeAll(async () => {
  webhook = await startWebhook(await getCluster(), "hostile-admission");
}, 120_000);

afterAll(async () => {
  await webhook?.stop();
}, 120_000);

const kindArbitrary = fc.oneof(
  fc.constant({ group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" }),
  fc.constant({ group: "ops.vworkspace.io", version: "v1alpha1", kind: "Operation" }),
  fc.record({ group: fc.string(), version: fc.string(), kind: fc.string() }),
);
const objectArbitrary = fc.oneof(
  fc.constant(applicationInstanceObject()),
  fc.constant(operationObject()),
  fc.record({ apiVersion: fc.string(), kind: fc.string(), metadata: fc.record({ name: fc.string(), namespace: fc.string(), labels: fc.dictionary(fc.string(), fc.string()) }), spec: fc.anything({ maxDepth: 4 }) }),
  fc.anything({ maxDepth: 3 }),
);
const reviewArbitrary = fc.record({
  apiVersion: fc.oneof({ weight: 9, arbitrary: fc.constant("admission.k8s.io/v1") }, { weight: 1, arbitrary: fc.string() }),
  kind: fc.oneof({ weight: 9, arbitrary: fc.constant("AdmissionReview") }, { weight: 1, arbitrary: fc.string() }),
  request: fc.record({
    uid: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }),
    kind: kindArbitrary,
    resource: fc.record({ group: fc.string(), version: fc.string(), resource: fc.string() }),
    operation: fc.oneof(fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT"), fc.string()),
    namespace: fc.oneof(fc.constantFrom("default", "kube-system", ""), fc.string()),
    name: fc.string(),
    object: objectArbitrary,
    oldObject: objectArbitrary,
    dryRun: fc.boolean(),
    userInfo: fc.record({ username: fc.string(), groups: fc.array(fc.string(), { maxLength: 3 }) }),
  }, { requiredKeys: ["uid", "kind", "operation"] }),
}, { requiredKeys: ["request"] });
const bodyArbitrary: fc.Arbitrary<{ body: string | Uint8Array; path: string }> = fc.record({
  body: fc.oneof(
    { weight: 6, arbitrary: reviewArbitrary.map((review) => JSON.stringify(review)) },
    { weight: 2, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: fc.string() },
  ),
  path: fc.constantFrom(...PATHS),
});

function uidOf(body: string | Uint8Array): unknown {
  if (typeof body !== "string") return undefined;
  try {
    return (JSON.parse(body) as { request?: { uid?: unknown } }).request?.uid;
  } catch {
    return undefined;
  }
}

async function post(path: string, body: string | Uint8Array): Promise<{ status: number | "dropped"; text: string }> {
  try {
    const response = await fetch(`${webhook.operator.operator.webhookUrl}${path}`, { method: "POST", body, headers: { "Content-Type": "application/json" }, tls: { rejectUnauthorized: false } } as RequestInit);
    return { status: response.status, text: await response.text() };
  } catch (err) {
    return { status: "dropped", text: String(err) };
  }
}

test(`10,000 fuzzed AdmissionReview bodies (seed ${SEED}, VWS_FUZZ_SEED to change) get 200 verdicts or 400/413, never a crash`, async () => {
  const samples = fc.sample(bodyArbitrary, { seed: SEED, numRuns: BODIES });
  const problems: string[] = [];
  const statuses = new Map<number | "dropped", number>();
  let next = 0;
  const worker = async () => {
    while (next < samples.length) {
      const { body, path } = samples[next++]!;
      const { status, text } = await post(path, body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) {
        const review = JSON.parse(text) as { response?: { uid?: unknown; allowed?: unknown } };
        if (typeof review.response?.allowed !== "boolean" || review.response.uid !== uidOf(body)) problems.push(`seed ${SEED}: malformed verdict ${text.slice(0, 200)} for ${String(body).slice(0, 200)}`);
      } else if (status !== 400 && status !== 413) {
        problems.push(`seed ${SEED}: answered ${status} (${text.slice(0, 120)}) for ${typeof body === "string" ? body.slice(0, 200) : `${body.byteLength} bytes`}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`admission fuzz (seed ${SEED}): answers by status ${JSON.stringify(Object.fromEntries(statuses))}`);
  expect(problems.slice(0, 10)).toEqual([]);
  // Both sides were exercised: reviews reached the rules, and junk was turned away.
  expect([...statuses.values()].reduce((sum, count) => sum + count, 0)).toBe(BODIES);
  expect(statuses.get(200) ?? 0).toBeGreaterThan(1_000);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(100);

  const valid = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "after-fuzz", kind: { group: "apps.vworkspace.io", version: "v1alpha1", kind: "ApplicationInstance" }, resource: { group: "apps.vworkspace.io", version: "v1alpha1", resource: "applicationinstances" }, operation: "CREATE", namespace: "default", object: applicationInstanceObject() } };
  const after = await post(PATHS[0]!, JSON.stringify(valid));
  expect(after.status).toBe(200);
  expect((JSON.parse(after.text) as { response: { uid: string } }).response.uid).toBe("after-fuzz");
  expect((await fetch(`${webhook.operator.operator.healthUrl}/healthz`)).status).toBe(200);
  expect(webhook.operator.logs.lines.filter((line) => /uncaught|unhandled/i.test(line))).toEqual([]);
}, 120_000);
