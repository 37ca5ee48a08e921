/**
 * /healthz and /readyz in the apiserver's style: 200 "ok", or 500 listing each check as [+] or [-].
 * Checks run on every probe, each bounded by a timeout, so readiness follows the world without a poller.
 */
import { Hono } from "hono";
import type { OperatorMetrics } from "./metrics";

export interface CheckResult {
  ok: boolean;
  message: string;
}

export type Check = () => CheckResult | Promise<CheckResult>;

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: Check): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `timed out after ${CHECK_TIMEOUT_MS}ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

async function probe(checks: Map<string, Check>, verbose: boolean): Promise<Response> {
  const names = [...checks.keys()];
  const results = await Promise.all(names.map((name) => runCheck(checks.get(name) as Check)));
  const healthy = results.every((result) => result.ok);
  if (healthy && !verbose) return new Response("ok", { status: 200 });
  const lines = names.map((name, i) => {
    const result = results[i] as CheckResult;
    return `[${result.ok ? "+" : "-"}]${name} ${result.ok ? "ok" : `failed: ${result.message}`}`;
  });
  lines.push(healthy ? "check passed" : "check failed");
  return new Response(`${lines.join("\n")}\n`, { status: healthy ? 200 : 500 });
}

export class HealthChecks {
  readonly live = new Map<string, Check>([["ping", () => ({ ok: true, message: "ok" })]]);
  readonly ready = new Map<string, Check>();

  /** What /readyz answers, as a boolean (the readiness gauge reads it at each scrape). */
  async isReady(): Promise<boolean> {
    const results = await Promise.all([...this.ready.values()].map(runCheck));
    return results.every((result) => result.ok);
  }

  app(): Hono {
    const app = new Hono();
    app.get("/healthz", (c) => probe(this.live, c.req.query("verbose") !== undefined));
    app.get("/livez", (c) => probe(this.live, c.req.query("verbose") !== undefined));
    app.get("/readyz", (c) => probe(this.ready, c.req.query("verbose") !== undefined));
    return app;
  }
}

export function metricsApp(metrics: OperatorMetrics): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }));
  return app;
}
