/**
 * `control-plane enqueue`: prints the job id; with `--wait-result` prints the JobResult and exits 0 for
 * succeeded/noop, 1 otherwise, 124 on timeout (docs/connectivity.md#cli-helpers).
 */
import { readFileSync } from "node:fs";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../../commandline/flags";
import type { CommandIO, Env } from "../../commandline/command";
import { AdminApiError, type AdminClient, type EnqueueOptions } from "../admin-client";
import type { JobResult } from "../../protocol/result";
import { ADMIN_FLAGS, adminClientFrom } from "./admin-flags";
import { buildNewJob, JobSpecError, parseDocument, type JobSources } from "./job-spec";

const ENQUEUE_FLAGS: FlagSpec[] = [
  ...ADMIN_FLAGS,
  { name: "cluster-id", type: "string", help: "target cluster (required)" },
  { name: "job", type: "string", help: "file with a job: {kind, payload, id?, idempotencyKey?, expiresAt?, ttlSeconds?}" },
  { name: "apply", type: "string", help: "manifest file (YAML or JSON) to apply" },
  { name: "delete", type: "string", help: "GROUP/KIND/NAMESPACE/NAME to delete (core group: core)" },
  { name: "intent", type: "string", help: "intent name" },
  { name: "file", type: "string", help: "object file for --intent" },
  { name: "idempotency-key", type: "string", help: "idempotency key" },
  { name: "ttl", type: "duration", help: "job lifetime (sets expiresAt)" },
  { name: "sign", type: "bool", help: "sign the job (default: the plane's --signing)" },
  { name: "no-sign", type: "bool", help: "do not sign the job" },
  { name: "encrypt", type: "bool", help: "encrypt the payload to the cluster's key" },
  { name: "wait-result", type: "duration", help: "wait this long for the result and print it" },
];

export const EXIT_TIMEOUT = 124;

function readDocument(path: string | undefined, what: string): Record<string, unknown> | undefined {
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FlagError(`${what}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseDocument(text, `${what} ${path}`);
}

/** Polls the admin API for the result; undefined on timeout. */
export async function waitForResult(admin: AdminClient, jobId: string, timeoutMs: number): Promise<JobResult | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await admin.jobResult(jobId);
    if (result) return result;
    if (Date.now() >= deadline) return undefined;
    await Bun.sleep(Math.min(250, Math.max(0, deadline - Date.now())));
  }
}

export async function enqueueCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`Usage: vworkspace-operator control-plane enqueue --cluster-id ID (--job FILE | --apply MANIFEST | --delete REF | --intent NAME [--file OBJECT]) [flags]\n\nFlags:\n${renderFlagHelp(ENQUEUE_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, ENQUEUE_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const get = (name: string) => parsed.values.get(name);
  const clusterId = get("cluster-id") as string | undefined;
  if (!clusterId) throw new FlagError("--cluster-id is required");
  const ttl = get("ttl") as number | undefined;
  const sources: JobSources = {};
  const job = readDocument(get("job") as string | undefined, "--job");
  const apply = readDocument(get("apply") as string | undefined, "--apply");
  const file = readDocument(get("file") as string | undefined, "--file");
  if (job) sources.job = job;
  if (apply) sources.apply = apply;
  if (file) sources.file = file;
  if (get("delete") !== undefined) sources.delete = get("delete") as string;
  if (get("intent") !== undefined) sources.intent = get("intent") as string;
  if (get("idempotency-key") !== undefined) sources.idempotencyKey = get("idempotency-key") as string;
  if (ttl !== undefined) sources.ttlSeconds = Math.max(0, Math.floor(ttl / 1000));
  let newJob;
  try {
    newJob = buildNewJob(sources);
  } catch (err) {
    if (err instanceof JobSpecError) throw new FlagError(err.message);
    throw err;
  }
  if (get("sign") === true && get("no-sign") === true) throw new FlagError("--sign and --no-sign exclude each other");
  const options: EnqueueOptions = {};
  if (get("sign") === true) options.sign = true;
  if (get("no-sign") === true) options.sign = false;
  if (get("encrypt") === true) options.encrypt = true;
  const admin = adminClientFrom(parsed);
  let envelope;
  try {
    envelope = await admin.enqueueJob(clusterId, newJob, options);
  } catch (err) {
    // Push mode: the API server refused a non-forced apply; the fields and their managers are in the message.
    if (!(err instanceof AdminApiError) || err.code !== "FieldManagerConflict") throw err;
    io.err(err.message);
    return 1;
  }
  io.out(envelope.id);
  const waitMs = get("wait-result") as number | undefined;
  if (waitMs === undefined) return 0;
  const result = await waitForResult(admin, envelope.id, waitMs);
  if (!result) {
    io.err(`no result for job ${envelope.id} within ${Math.round(waitMs / 1000)}s`);
    return EXIT_TIMEOUT;
  }
  io.out(JSON.stringify(result));
  return result.outcome === "succeeded" || result.outcome === "noop" ? 0 : 1;
}
