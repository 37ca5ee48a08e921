/**
 * Hole 4 (the replay ledger can be flushed): a signed job is applied, then the ledger is flooded with sixty
 * unsigned jobs with 9 KB ids (540 KB, past the ledger's 512 KiB bound; the fuzz adds 10,000 more ids); the
 * signed job replayed afterwards must still be answered noop/JobReplayed with nothing written again.
 * Over-long ids and idempotency keys are refused as InvalidPayload.
 */
import { recordAttack } from "../support/tally";
import { CONFIG_MAP, envelope, injectJobs, lookup, type Stage } from "../support/stage";

export async function ledgerFlushThenReplay(stage: Stage): Promise<string[]> {
  const problems: string[] = [];
  const name = `ledger-victim-${crypto.randomUUID().slice(0, 8)}`;
  const signed = await envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: stage.ns.gated }, data: { a: "1" } });
  const first = (await injectJobs(stage, [signed])).get(signed.id);
  if (first?.outcome !== "succeeded") return [`ledger setup: the signed job was not applied: ${JSON.stringify(first)}`];

  const longIds = Array.from({ length: 60 }, (_, index) => ({ id: `${index}-${"x".repeat(9 * 1024)}`, kind: "apply", payload: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `flood-${index}`, namespace: stage.ns.gated } }, createdAt: new Date().toISOString() }));
  const longResults = await injectJobs(stage, longIds);
  // Unsigned under enforce: either refusal is right, as long as none is recorded in the ledger.
  const longRefused = [...longResults.values()].every((result) => result.outcome === "failed" && ["InvalidPayload", "JobPayloadSignatureInvalid"].includes(result.errorCode as string));
  recordAttack("job ids of 9 KB", { refused: longRefused, escaped: false, note: `codes ${[...new Set([...longResults.values()].map((result) => result.errorCode))].join(",")}` });
  if (!longRefused) problems.push("job ids of 9 KB were not refused with InvalidPayload");

  const signedLongId = await envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-id`, namespace: stage.ns.gated }, data: { a: "1" } }, { extra: { id: `signed-${"i".repeat(300)}` } });
  const idResult = (await injectJobs(stage, [signedLongId])).get(signedLongId.id);
  const idRefused = idResult?.outcome === "failed" && idResult.errorCode === "InvalidPayload";
  const idEscaped = (await lookup(stage, CONFIG_MAP, `${name}-id`, stage.ns.gated)) !== undefined;
  recordAttack("signed job id of 307 characters", { refused: idRefused, escaped: idEscaped, note: `result ${idResult?.outcome}/${idResult?.errorCode}` });
  if (!idRefused || idEscaped) problems.push(`a signed job id of 307 characters: ${JSON.stringify(idResult)}`);

  const longKey = await envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-key`, namespace: stage.ns.gated }, data: { a: "1" } }, { extra: { idempotencyKey: "k".repeat(600) } });
  const keyResult = (await injectJobs(stage, [longKey])).get(longKey.id);
  const keyRefused = keyResult?.outcome === "failed" && keyResult.errorCode === "InvalidPayload";
  const keyEscaped = (await lookup(stage, CONFIG_MAP, `${name}-key`, stage.ns.gated)) !== undefined;
  recordAttack("idempotency key of 600 characters", { refused: keyRefused, escaped: keyEscaped, note: `result ${keyResult?.outcome}/${keyResult?.errorCode}` });
  if (!keyRefused || keyEscaped) problems.push(`an idempotency key of 600 characters: ${JSON.stringify(keyResult)}`);

  await stage.client.delete(CONFIG_MAP, name, { namespace: stage.ns.gated });
  stage.proxy.results.delete(signed.id);
  const replay = (await injectJobs(stage, [signed])).get(signed.id);
  const replayRefused = replay?.outcome === "noop" && replay.errorCode === "JobReplayed";
  const replayEscaped = (await lookup(stage, CONFIG_MAP, name, stage.ns.gated)) !== undefined;
  recordAttack("ledger flush, then replay of a signed job", { refused: replayRefused, escaped: replayEscaped, note: `replay answered ${replay?.outcome}/${replay?.errorCode}` });
  if (!replayRefused || replayEscaped) problems.push(`replay after the flood: ${JSON.stringify(replay)}, re-written: ${replayEscaped}`);
  return problems;
}
