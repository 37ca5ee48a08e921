/**
 * Hole 5 (unbounded control-plane answers) and hostile envelopes under `enforce`: a 500 MB streamed jobs
 * answer, garbled answers, duplicate-key envelopes, unsigned and garbled signatures, an oversized envelope.
 * After each the agent must still poll and apply a signed canary job.
 */
import { canaryJob, CONFIG_MAP, envelope, injectJobs, lookup, runJobs, type Stage } from "../support/stage";
import { jsonAnswer } from "../support/hostile-proxy";
import { recordAttack } from "../support/tally";
import { eventually } from "../../support/eventually";

const HUGE_BYTES = 500 * 1024 * 1024;
/** The jobs cap is 8 MiB; what sits in socket buffers on top of it stays far below this. */
const READ_LIMIT_BYTES = 64 * 1024 * 1024;

export async function hugeAnswer(stage: Stage): Promise<string | undefined> {
  const pollsBefore = stage.proxy.polls;
  const stats = stage.proxy.injectStream(`{"jobs":[{"id":"huge-${crypto.randomUUID()}","kind":"apply","payload":{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"`, HUGE_BYTES, `"}}}]}`);
  await stats.finished;
  await eventually(() => stage.proxy.polls > pollsBefore + 1, { what: "the agent polls again after the huge answer", timeoutMs: 60_000 });
  const alive = await canaryJob(stage);
  const bounded = stats.cancelled && stats.bytesProduced < READ_LIMIT_BYTES;
  recordAttack("500 MB streamed jobs answer", { refused: bounded && alive, escaped: !alive, note: `read ${(stats.bytesProduced / 1048576).toFixed(1)} MiB, cancelled ${stats.cancelled}, agent alive ${alive}` });
  return bounded && alive ? undefined : `500 MB answer: read ${stats.bytesProduced} bytes (cancelled: ${stats.cancelled}), agent alive: ${alive}`;
}

const GARBLED_ANSWERS = [
  "<html>502 Bad Gateway</html>",
  '{"jobs":[{"id":"truncated","kind":"apply","payload":{',
  '{"jobs":"all of them"}',
  '{"jobs":[1,null,"x",[],{"id":""},{"id":7},{"id":{}},{"kind":"apply"}]}',
  "[]",
  "null",
  '{"jobs":[{"id":"deep","kind":"apply","payload":' + "[".repeat(100_000) + "]".repeat(100_000) + "}]}",
  "\u0000\uffff".repeat(1024),
];

export async function garbledAnswers(stage: Stage): Promise<string | undefined> {
  for (const text of GARBLED_ANSWERS) {
    await stage.proxy.inject(() => jsonAnswer(text));
    // One ordinary poll between two garbled answers, so the agent's backoff never grows past its first step.
    const answered = stage.proxy.forwardedPolls;
    await eventually(() => stage.proxy.forwardedPolls > answered, { what: "an ordinary poll after a garbled answer", timeoutMs: 30_000 });
  }
  const alive = await canaryJob(stage);
  for (let index = 0; index < GARBLED_ANSWERS.length; index += 1) recordAttack("garbled jobs answer", { refused: alive, escaped: !alive, note: `agent alive ${alive}` });
  return alive ? undefined : "garbled jobs answers: the agent no longer applies a signed job";
}

/** Signed for payload A; the text repeats the member with payload B last, which JSON.parse keeps. */
export async function duplicateKeyEnvelopes(stage: Stage): Promise<string[]> {
  const problems: string[] = [];
  const tag = crypto.randomUUID().slice(0, 8);
  const innocent = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `dup-a-${tag}`, namespace: stage.ns.gated }, data: { a: "1" } };
  const evil = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `dup-b-${tag}`, namespace: stage.ns.gated }, data: { a: "evil" } };
  const duplicates = [`"payload":${JSON.stringify(evil)}`, `"kind":"delete"`, `"encryptedPayload":"x.y.z.w.v"`];
  for (const duplicate of duplicates) {
    // A fresh signed envelope per variant: a refused id must not be answered as a replay instead.
    const signed = await envelope(stage, "apply", innocent);
    const text = JSON.stringify(signed).replace(/}$/, `,${duplicate}}`);
    await stage.proxy.inject(() => jsonAnswer(`{"jobs":[${text}]}`), [signed.id]);
    const result = await eventually(() => stage.proxy.results.get(signed.id), { what: "result of a duplicate-key envelope" });
    const refused = result.outcome === "failed" && ["JobPayloadSignatureInvalid", "InvalidPayload"].includes(result.errorCode as string);
    const escaped = (await lookup(stage, CONFIG_MAP, `dup-b-${tag}`, stage.ns.gated)) !== undefined || (await lookup(stage, CONFIG_MAP, `dup-a-${tag}`, stage.ns.gated)) !== undefined;
    recordAttack("duplicate-key envelope", { refused, escaped, note: `result ${result.outcome}/${result.errorCode}` });
    if (!refused || escaped) problems.push(`duplicate-key envelope: ${JSON.stringify(result)}, written: ${escaped}`);
  }
  return problems;
}

export async function badSignatures(stage: Stage): Promise<string[]> {
  const problems: string[] = [];
  const tag = crypto.randomUUID().slice(0, 8);
  const header = (fields: Record<string, unknown>) => Buffer.from(JSON.stringify(fields)).toString("base64url");
  const signatures: Array<string | undefined> = [
    undefined,
    "",
    "a.b.c",
    "..",
    `${header({ alg: "none", kid: stage.key.kid, typ: "vworkspace-job+jws", crit: ["vws.cid"], "vws.cid": stage.clusterId, iat: Math.floor(Date.now() / 1000) })}..`,
    `${header({ alg: "HS256", kid: stage.key.kid, typ: "vworkspace-job+jws", crit: ["vws.cid"], "vws.cid": stage.clusterId, iat: Math.floor(Date.now() / 1000) })}..c2lnbmF0dXJl`,
    "x".repeat(100_000),
  ];
  const jobs = [];
  for (const [index, signature] of signatures.entries()) {
    const job: Record<string, unknown> & { id: string } = await envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `badsig-${index}-${tag}`, namespace: stage.ns.gated }, data: { a: "1" } }, { unsigned: true });
    if (signature !== undefined) job.signature = signature;
    jobs.push(job);
  }
  const results = await runJobs(stage, jobs);
  for (const [index, job] of jobs.entries()) {
    const result = results.get(job.id);
    const refused = result?.outcome === "failed" && result.errorCode === "JobPayloadSignatureInvalid";
    const escaped = (await lookup(stage, CONFIG_MAP, `badsig-${index}-${tag}`, stage.ns.gated)) !== undefined;
    recordAttack(index === 0 ? "unsigned job under enforce" : "garbled signature under enforce", { refused, escaped, note: `result ${result?.outcome}/${result?.errorCode}` });
    if (!refused || escaped) problems.push(`signature variant ${index}: ${JSON.stringify(result)}, written: ${escaped}`);
  }
  return problems;
}

export async function oversizedEnvelope(stage: Stage): Promise<string | undefined> {
  const name = `oversized-${crypto.randomUUID().slice(0, 8)}`;
  const job = await envelope(stage, "apply", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: stage.ns.gated }, data: { blob: "z".repeat(2 * 1024 * 1024) } });
  const result = (await injectJobs(stage, [job])).get(job.id);
  const escaped = (await lookup(stage, CONFIG_MAP, name, stage.ns.gated)) !== undefined;
  const refused = result?.outcome === "failed";
  recordAttack("oversized envelope (2 MiB manifest)", { refused, escaped, note: `result ${result?.outcome}/${result?.errorCode}` });
  return refused && !escaped ? undefined : `oversized envelope: ${result?.outcome}/${result?.errorCode}, written: ${escaped}`;
}
