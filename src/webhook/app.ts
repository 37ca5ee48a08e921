/**
 * The admission hono app: one POST route per registered kind, body limit (413), decode (400), the docs/operations.md#responses-and-exemptions
 * exemptions, then the kind's rules under the handler timeout (expiry or a thrown rule → `InternalError`).
 * Every answer to a decodable review is HTTP 200 with the verdict inside, as the API server expects.
 */
import { Hono, type Context } from "hono";
import type { Logger } from "../observability/logger";
import type { OperatorMetrics } from "../observability/metrics";
import { isExempt } from "./exemptions";
import { decodeReview, denial, reviewResponse, type AdmissionRequest, type Verdict } from "./review";
import { wrongKind, type AdmissionFacts, type KindWebhook } from "./rules";

/** docs/operations.md#admission-webhooks. */
export const MAX_REVIEW_BYTES = 3 * 1024 * 1024;

export interface AdmissionAppOptions {
  webhooks: readonly KindWebhook[];
  facts: AdmissionFacts;
  handlerTimeoutMs: number;
  metrics: OperatorMetrics;
  logger: Logger;
}

export function admissionApp(options: AdmissionAppOptions): Hono {
  const app = new Hono();
  for (const webhook of options.webhooks) {
    app.post(webhook.path, async (c) => {
      const body = await reviewBody(c);
      if (!body) return c.text(`request body exceeds ${MAX_REVIEW_BYTES} bytes\n`, 413);
      const decoded = decodeReview(body);
      if (!decoded.ok) return c.text(`${decoded.error}\n`, 400);
      const started = performance.now();
      const verdict = await judge(webhook, decoded.request, options);
      record(options.metrics, webhook, decoded.request, verdict, (performance.now() - started) / 1000);
      return c.json(reviewResponse(decoded.request.uid, verdict));
    });
  }
  return app;
}

/**
 * The body, or undefined past the limit. The declared length refuses a large body unread; one sent chunked
 * is read (the listener caps that read) and then measured. hono's body-limit middleware is not used: it
 * touches `request.body`, which makes Bun build a stream that every review then pays for.
 */
async function reviewBody(c: Context): Promise<Uint8Array | undefined> {
  if (Number(c.req.header("content-length")) > MAX_REVIEW_BYTES) return undefined;
  const body = new Uint8Array(await c.req.raw.arrayBuffer());
  return body.byteLength > MAX_REVIEW_BYTES ? undefined : body;
}

async function judge(webhook: KindWebhook, request: AdmissionRequest, options: AdmissionAppOptions): Promise<Verdict> {
  const mismatch = wrongKind(webhook, request);
  if (mismatch) return { denial: denial("ValidationFailed", mismatch) };
  if (isExempt(request)) return {};
  // The deadline's timer is armed only when the rules wait on a fact (a cache miss, an Operation's targets):
  // answered from the caches, a review allocates no timer at all.
  const deadline = new AbortController();
  let timer: Timer | undefined;
  try {
    const verdict = webhook.validate(request, options.facts, deadline.signal);
    if (!(verdict instanceof Promise)) return verdict;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`admission handler timed out after ${options.handlerTimeoutMs}ms`);
        deadline.abort(error);
        reject(error);
      }, options.handlerTimeoutMs);
    });
    return await Promise.race([verdict, expired]);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    options.logger.error({ webhook: webhook.name, uid: request.uid, err: message }, "admission rules failed");
    return { denial: denial("InternalError", `${webhook.name}: ${message}`) };
  } finally {
    clearTimeout(timer);
  }
}

function record(metrics: OperatorMetrics, webhook: KindWebhook, request: AdmissionRequest, verdict: Verdict, seconds: number): void {
  const allowed = verdict.denial === undefined;
  metrics.webhookRequests.inc({ webhook: webhook.name, operation: request.operation, allowed: String(allowed) });
  if (verdict.denial) metrics.webhookDenials.inc({ webhook: webhook.name, reason: verdict.denial.reason });
  metrics.webhookDuration.observe({ webhook: webhook.name }, seconds);
}
