/**
 * The adversarial suite (issue 11): a hostile control plane (the reference plane sending crafted, validly
 * signed jobs, and a scripted proxy for answers the plane cannot send) attacks the real agent against the
 * real API server. The last test is the audit pass: nothing outside the gated namespaces was created or
 * changed by the operator or Flux, no foreign Secret was read, nothing crashed, no secret leaked; the attack
 * table is printed and must show 0 escaped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { getCluster } from "../support/cluster";
import { TEST_RUN_LABEL } from "../support/namespace";
import { fluxFieldCases, fluxStatusRedaction, helmReleaseWithoutServiceAccount } from "./attacks/flux";
import { FUZZ_SEED, fuzzEnvelopes } from "./attacks/fuzz";
import { intentCases } from "./attacks/intents";
import { ledgerFlushThenReplay } from "./attacks/ledger";
import { registrationTakeover, unboundedBodies } from "./attacks/plane";
import { targetCases } from "./attacks/targets";
import { badSignatures, duplicateKeyEnvelopes, garbledAnswers, hugeAnswer, oversizedEnvelope } from "./attacks/transport";
import { veleroCases } from "./attacks/velero";
import { attributedChanges, leaks, operatorCallViolations, snapshot, type Snapshot } from "./support/audit";
import { runAttackCases } from "./support/cases";
import { runSecrets, runTexts } from "./support/secrets";
import { canaryJob, closeStage, openStage, type Stage } from "./support/stage";
import { attackTable, recordAttack, totals } from "./support/tally";

let stage: Stage;
let before: Snapshot;

beforeAll(async () => {
  const cluster = await getCluster();
  const startedAt = new Date();
  before = await snapshot(cluster.client, ["kube-system"]);
  stage = await openStage(cluster, startedAt);
}, 120_000);

afterAll(async () => {
  await closeStage(stage);
}, 120_000);

/** Lists what held not, so one failing case never hides the others. */
function expectNone(problems: Array<string | undefined>): void {
  expect(problems.filter((problem): problem is string => problem !== undefined)).toEqual([]);
}

describe("a hostile control plane stays bounded", () => {
  test("validly signed jobs aimed at kube-system, the operator, cluster-scoped kinds, Secrets, Namespaces, RBAC, CRDs and webhooks are refused", async () => {
    expectNone(await runAttackCases(stage, await targetCases(stage)));
  });

  test("hole 1 and 6: intents are pinned to their kind; smuggled apiVersions never resolve to another path", async () => {
    expectNone(await runAttackCases(stage, await intentCases(stage)));
  });

  test("hole 2: HelmReleases with forbidden Flux fields are refused; none runs without the tenant ServiceAccount", async () => {
    expectNone([...(await runAttackCases(stage, await fluxFieldCases(stage))), await helmReleaseWithoutServiceAccount(stage)]);
  });

  test("hole 7: a Flux condition quoting secret values reaches the plane redacted", async () => {
    expectNone([await fluxStatusRedaction(stage)]);
  });

  test("hole 3: Velero Schedules beyond the gated namespaces and BackupStorageLocations are refused", async () => {
    expectNone(await runAttackCases(stage, await veleroCases(stage)));
  });

  test("enforce: unsigned, garbled-signature, duplicate-key and oversized envelopes are refused", async () => {
    expectNone([...(await badSignatures(stage)), ...(await duplicateKeyEnvelopes(stage)), await oversizedEnvelope(stage)]);
  });

  test("garbled jobs answers leave the agent working", async () => {
    expectNone([await garbledAnswers(stage)]);
  });

  test("hole 5: a 500 MB streamed jobs answer is cut off at the cap and the agent keeps working", async () => {
    expectNone([await hugeAnswer(stage)]);
  });

  test("hole 4: after a ledger flood a replayed signed job is still answered JobReplayed", async () => {
    expectNone(await ledgerFlushThenReplay(stage));
  });

  // Every envelope makes two round trips to the proxy and a ledger entry: minutes on a busy 2-core machine.
  test(`10,000 fuzzed envelopes (fast-check seed ${FUZZ_SEED}, VWS_FUZZ_SEED to change) are handled within the rules`, async () => {
    expectNone(await fuzzEnvelopes(stage));
  }, 600_000);

  // Last before the audit: before the fix, a takeover revokes the agent's tokens.
  test("hole 8: the reference plane refuses registration takeovers and unread huge bodies", async () => {
    expectNone([...(await registrationTakeover(stage)), ...(await unboundedBodies(stage))]);
  });

  test("audit: nothing escaped, no foreign Secret read, nothing crashed, no secret leaked", async () => {
    const problems: string[] = [];
    const health = await fetch(`${stage.operator.operator.healthUrl}/healthz`).then((response) => response.status, () => 0);
    if (health !== 200) problems.push(`operator /healthz answered ${health}`);
    if (!(await canaryJob(stage))) problems.push("the agent no longer applies a signed job");
    const fatal = stage.operator.logs.lines.filter((line) => /"level":(50|60)/.test(line) && /uncaught|unhandled|fatal/i.test(line));
    problems.push(...fatal.slice(0, 3).map((line) => `operator log: ${line.slice(0, 200)}`));

    problems.push(...operatorCallViolations(stage, stage.recorder.calls).slice(0, 20));
    const after = await snapshot(stage.client, ["kube-system"]);
    const ownCluster = `/clusters/${stage.clusterName}`;
    // Test namespaces (labelled by every suite's client, whose manager name is the operator's) are not the
    // operator's doing; any Namespace write of the operator itself is in its call record above.
    const testNamespace = (key: string) => /^\/api\/v1\/namespaces\/[^/]+$/.test(key) && after.get(key)?.metadata.labels?.[TEST_RUN_LABEL] !== undefined;
    problems.push(...attributedChanges(before, after, stage.startedAt, (key) => key.endsWith(ownCluster) || testNamespace(key)));
    const operatorNamespace = await snapshot(stage.client, [stage.ns.operator], false);
    for (const [key, object] of operatorNamespace) {
      const managers = ((object.metadata.managedFields ?? []) as Array<{ manager?: string }>).map((entry) => entry.manager);
      const own = /\/(configmaps\/vworkspace-applied-jobs|secrets\/vworkspace-agent-credentials|secrets\/vworkspace-operator-keypair)$/.test(key);
      if (!own && managers.some((manager) => manager === "vworkspace-agent" || manager === "vworkspace-operator")) problems.push(`operator namespace object written by the operator: ${key}`);
    }
    const secrets = await runSecrets(stage);
    const texts = await runTexts(stage);
    problems.push(...leaks([...secrets, ...stage.quoted], texts.outside), ...leaks(secrets, texts.objects));

    recordAttack("audit: effects found after the run", { refused: problems.length === 0, escaped: problems.length > 0 });
    const sum = totals();
    console.log(`\nadversarial suite: attack table (fuzz seed ${FUZZ_SEED})\n${attackTable()}\n`);
    expect(problems).toEqual([]);
    expect(sum.tried).toBeGreaterThan(10_000);
    expect(sum.escaped).toBe(0);
  }, 120_000);
});
