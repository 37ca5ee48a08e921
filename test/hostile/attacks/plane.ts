/**
 * Hole 8, the reference control plane: an unbound registration token cannot take over an existing cluster
 * (409), a token bound to one cluster cannot register another (403), and huge chunked bodies without a
 * Content-Length are refused: 401 without a valid bearer (authentication comes before the body, so never 413
 * there), 413 past the cap with one; the plane stays healthy. Bun's client keeps streaming the body after an
 * early answer, so the bytes it sent are reported, not judged.
 */
import { SECRET } from "../../../src/controllers/cluster/secrets";
import { recordAttack } from "../support/tally";
import type { Stage } from "../support/stage";

const MEDIA_TYPE = "application/vnd.vworkspace.agent.v1+json";
const BODY_BYTES = 64 * 1024 * 1024;

async function register(stage: Stage, registrationToken: string, clusterId: string): Promise<number> {
  const response = await fetch(`${stage.plane.url}/api/agent/register`, {
    method: "POST",
    headers: { Authorization: `Bearer ${registrationToken}`, Accept: MEDIA_TYPE, "Content-Type": MEDIA_TYPE },
    body: JSON.stringify({ registrationToken, clusterId }),
  });
  await response.arrayBuffer();
  return response.status;
}

export async function registrationTakeover(stage: Stage): Promise<string[]> {
  const problems: string[] = [];
  const before = (await stage.plane.admin.clusters()).find((entry) => entry.clusterId === stage.clusterId);
  const unbound = await stage.plane.admin.createRegistrationToken();
  stage.planted.push(unbound.token);
  const takeover = await register(stage, unbound.token, stage.clusterId);
  const bound = await stage.plane.admin.createRegistrationToken(`bound-${crypto.randomUUID().slice(0, 8)}`);
  stage.planted.push(bound.token);
  const crossover = await register(stage, bound.token, stage.clusterId);
  const after = (await stage.plane.admin.clusters()).find((entry) => entry.clusterId === stage.clusterId);
  const keyKept = JSON.stringify(after?.publicKey) === JSON.stringify(before?.publicKey) && (after?.activeTokens ?? 0) >= 1;
  recordAttack("unbound registration token takes over a cluster", { refused: takeover === 409, escaped: !keyKept, note: `register answered ${takeover}, cluster key kept ${keyKept}` });
  recordAttack("bound registration token registers another cluster", { refused: crossover === 403, escaped: !keyKept, note: `register answered ${crossover}` });
  if (takeover !== 409) problems.push(`an unbound token registering the existing cluster answered ${takeover}, expected 409`);
  if (crossover !== 403) problems.push(`a token bound to another cluster answered ${crossover}, expected 403`);
  if (!keyKept) problems.push("the existing cluster lost its key or tokens");
  return problems;
}

/** POSTs a chunked body of BODY_BYTES (no Content-Length); returns the status (or "reset") and the bytes pulled. */
async function hugeChunkedPost(url: string, bearer: string): Promise<{ status: number | "reset"; pulled: number }> {
  const chunk = new Uint8Array(256 * 1024).fill(0x20);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= BODY_BYTES) {
        controller.close();
        return;
      }
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 1 });
  try {
    const response = await fetch(url, { method: "POST", headers: { Authorization: `Bearer ${bearer}`, Accept: MEDIA_TYPE, "Content-Type": MEDIA_TYPE }, body, signal: AbortSignal.timeout(60_000) } as RequestInit);
    await response.arrayBuffer().catch(() => undefined);
    return { status: response.status, pulled };
  } catch {
    return { status: "reset", pulled };
  }
}

export async function unboundedBodies(stage: Stage): Promise<string[]> {
  const problems: string[] = [];
  const credentials = (await stage.client.get(SECRET, "vworkspace-agent-credentials", { namespace: stage.ns.operator })) as unknown as { data: Record<string, string> };
  const token = Buffer.from(credentials.data.token!, "base64").toString("utf8");
  const attempts: Array<[string, string, string, Array<number | "reset">]> = [
    ["chunked body without a valid bearer", "/api/agent/events", "not-a-token", [401]],
    ["chunked status body without a valid bearer", `/api/agent/jobs/${encodeURIComponent("no-such-job")}/status`, "not-a-token", [401]],
    ["chunked register body with a bogus token", "/api/agent/register", "vwksp-reg-bogus", [401, 413]],
    ["chunked events body past the cap", "/api/agent/events", token, [413, "reset"]],
    ["chunked result body past the cap", `/api/agent/jobs/${encodeURIComponent("no-such-job")}/result`, token, [404, 413, "reset"]],
  ];
  for (const [attack, path, bearer, accepted] of attempts) {
    const { status, pulled } = await hugeChunkedPost(`${stage.plane.url}${path}`, bearer);
    const healthy = await fetch(`${stage.plane.url}/healthz`).then((response) => response.status === 200, () => false);
    const refused = accepted.includes(status);
    recordAttack(`plane: ${attack}`, { refused, escaped: !healthy, note: `answered ${status}; ${(pulled / 1048576).toFixed(1)} MiB sent; plane healthy ${healthy}` });
    if (!refused || !healthy) problems.push(`plane: ${attack}: answered ${status} (expected ${accepted.join("|")}), plane healthy ${healthy}`);
  }
  return problems;
}
