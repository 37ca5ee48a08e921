/** Routes of the reference control plane: public health and JWKS, the agent API, the admin API. */
import { Hono } from "hono";
import { AGENT_API_PREFIX, HEALTHZ_PATH, JWKS_MEDIA_TYPE, JWKS_PATH } from "../protocol/endpoints";
import { adminApi } from "./admin-api";
import { agentApi } from "./agent-api";
import type { AgentBindings } from "./agent-guard";
import { problem } from "./http";
import type { ControlPlaneState } from "./state";

export function controlPlaneApp(state: ControlPlaneState): Hono<{ Bindings: AgentBindings }> {
  const agent = agentApi(state);
  const admin = adminApi(state);
  const app = new Hono<{ Bindings: AgentBindings }>();
  app.onError((err, c) => {
    state.logger.error({ err: err.message, path: c.req.path }, "control plane request failed");
    return problem(c, 500, "InternalError", "internal error");
  });
  // Method, path and status only: headers and bodies carry tokens and payloads.
  app.use("/api/*", async (c, next) => {
    await next();
    state.logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, requestId: c.res.headers.get("X-Request-Id") ?? undefined }, "request");
  });
  app.get(HEALTHZ_PATH, (c) => c.text("ok"));
  app.get(JWKS_PATH, (c) => new Response(JSON.stringify(state.signingKeys.jwks()), { headers: { "Content-Type": JWKS_MEDIA_TYPE } }));
  app.all(`${AGENT_API_PREFIX}/*`, (c) => agent.fetch(c.req.raw, c.env));
  app.all("/api/admin/*", (c) => admin.fetch(c.req.raw, c.env));
  app.notFound((c) => problem(c, 404, "NotFound", `no route ${c.req.method} ${c.req.path}`));
  return app;
}
