/** Raw agent-API requests for the control plane's own tests: exact headers, no agent logic in between. */
import { AGENT_MEDIA_TYPE } from "../../../src/protocol/endpoints";

export interface AgentRequest {
  method?: string;
  token?: string;
  body?: unknown;
  /** Raw body text, sent as is. */
  rawBody?: string;
  headers?: Record<string, string>;
  tls?: { ca?: string; cert?: string; key?: string };
}

export interface AgentAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

export async function agentCall(base: string, path: string, request: AgentRequest = {}): Promise<AgentAnswer> {
  const headers: Record<string, string> = { Accept: AGENT_MEDIA_TYPE, "User-Agent": "vworkspace-operator/test" };
  if (request.token) headers.Authorization = `Bearer ${request.token}`;
  const body = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  if (body !== undefined) headers["Content-Type"] = AGENT_MEDIA_TYPE;
  Object.assign(headers, request.headers);
  const init: RequestInit & { tls?: AgentRequest["tls"] } = { method: request.method ?? (body === undefined ? "GET" : "POST"), headers };
  if (body !== undefined) init.body = body;
  if (request.tls) init.tls = request.tls;
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function resultBody(outcome: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { outcome, timestamp: new Date().toISOString(), ...extra };
}

export const CONFIG_MAP_PAYLOAD = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "demo", namespace: "team-a" }, data: { a: "1" } };

export function heartbeatEvent(clusterId: string): Record<string, unknown> {
  return {
    kind: "ClusterHeartbeat",
    resourceRef: { apiVersion: "ops.vworkspace.io/v1alpha1", kind: "Cluster", namespace: "", name: clusterId },
    timestamp: new Date().toISOString(),
  };
}

export function transitionEvent(key: string, name = "app"): Record<string, unknown> {
  return {
    eventKey: key,
    kind: "ConditionTransition",
    resourceRef: { apiVersion: "apps.vworkspace.io/v1alpha1", kind: "ApplicationInstance", namespace: "team-a", name, uid: "u-1", generation: 1 },
    conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "", lastTransitionTime: new Date().toISOString() }],
    timestamp: new Date().toISOString(),
  };
}
