/**
 * The chart's monitoring objects against the real operator: every metric named by a PrometheusRule
 * expression or a dashboard query (parsed by Prometheus' own PromQL grammar, so a malformed query fails too)
 * is one a running operator serves on /metrics, and they select the job the ServiceMonitor scrapes.
 */
import { describe, expect, test } from "bun:test";
import { parser } from "@prometheus-io/lezer-promql";
import { applicationInstanceController } from "../../../src/controllers/applicationinstance/controller";
import { clusterController } from "../../../src/controllers/cluster/controller";
import { operationController } from "../../../src/controllers/operation/controller";
import { Controller } from "../../../src/manager/controller";
import type { ControllerFactory } from "../../../src/manager/operator";
import type { KubeObject } from "../../../src/kube/types";
import { findRendered, helmTemplate } from "../../support/chart";
import { getCluster } from "../../support/cluster";
import { useNamespace } from "../../support/namespace";
import { startOperatorInProcess } from "../../support/operator";

const ns = useNamespace({ slug: "chart-monitoring" });
const MONITORING = ["serviceMonitor.enabled=true", "prometheusRule.enabled=true", "dashboard.enabled=true"];

// The cluster controller reconciles the cluster-wide Cluster objects other tests own: it is built, which
// registers the agent's metrics as in production, but an idle controller runs in its place.
const clusterMetricsOnly: ControllerFactory = (context) => {
  clusterController(context);
  return new Controller({ name: "cluster", workers: 1, metrics: context.metrics, logger: context.logger, clock: context.clock, reconcile: async () => undefined });
};

/** Series names /metrics serves: each family's name and, for histograms and summaries, their suffixed series. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The metric names an expression selects; throws on a syntax error. Grafana's variables become literals first. */
function selectedMetrics(expr: string): string[] {
  const promql = expr.replaceAll("$__rate_interval", "5m").replace(/\$\{?\w+\}?/g, "x");
  const names: string[] = [];
  const errors: number[] = [];
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === "VectorSelector") {
        const identifier = node.node.getChild("Identifier");
        if (identifier) names.push(promql.slice(identifier.from, identifier.to));
      }
    },
  });
  if (errors.length > 0) throw new Error(`PromQL syntax error at ${errors[0]} in: ${expr}`);
  return names;
}

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
  // A query variable's query is an object; a datasource variable's is the plugin name.
  templating: { list: { name: string; query?: string | { query: string } }[] };
}

function renderedQueries(): { where: string; expr: string }[] {
  const { objects, exitCode, stderr } = helmTemplate(ns.name, ...MONITORING);
  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  const rule = findRendered(objects, "PrometheusRule") as KubeObject & { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
  const configMap = findRendered(objects, "ConfigMap", "vworkspace-operator-dashboard") as KubeObject & { data: Record<string, string> };
  const dashboard = JSON.parse(configMap.data["vworkspace-operator.json"]!) as Dashboard;
  const variables = dashboard.templating.list.flatMap((variable) => {
    const query = typeof variable.query === "object" ? variable.query.query : "";
    const labelValues = query.match(/^label_values\((.+),\s*\w+\)$/);
    return labelValues ? [{ where: `dashboard variable ${variable.name}`, expr: labelValues[1]! }] : [];
  });
  return [
    ...rule.spec.groups.flatMap((group) => group.rules.map((item) => ({ where: `alert ${item.alert}`, expr: item.expr }))),
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `panel ${panel.title}`, expr: target.expr }))),
    ...variables,
  ];
}

/** What an operator running against the shared cluster, scoped to the test's namespace, serves on /metrics. */
async function exportedByRunningOperator(): Promise<Set<string>> {
  const cluster = await getCluster();
  const running = await startOperatorInProcess({
    kubeconfigPath: cluster.kubeconfigPath,
    config: { watchNamespaces: [ns.name], namespace: ns.name, leaderElect: false },
    controllers: [applicationInstanceController, operationController, clusterMetricsOnly],
  });
  try {
    const response = await fetch(`${running.operator.metricsUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    return exportedNames(await response.text());
  } finally {
    await running.stop();
  }
}

describe("the chart's alerts and dashboard", () => {
  test("every metric a query names is one the running operator exports", async () => {
    const exported = await exportedByRunningOperator();
    expect(exported).toContain("vworkspace_operator_connectivity_state");
    const queries = renderedQueries();
    expect(queries.length).toBeGreaterThan(20);
    const missing = queries.flatMap(({ where, expr }) => selectedMetrics(expr).filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`));
    expect(missing).toEqual([]);
    // The alerts, each present.
    const alerts = queries.filter((query) => query.where.startsWith("alert ")).map((query) => query.where);
    for (const alert of ["Down", "NotReady", "ReconcileErrors", "Disconnected", "EventBufferOverflow", "WebhookCertificateExpiry"]) {
      expect(alerts).toContain(`alert VWorkspaceOperator${alert}`);
    }
  }, 60_000);

  test("the parser names a misspelt metric and refuses a malformed query", () => {
    expect(selectedMetrics('rate(vworkspace_operator_reconcile_totl{result="error", namespace="$namespace"}[$__rate_interval]) / on() absent(up)')).toEqual(["vworkspace_operator_reconcile_totl", "up"]);
    expect(() => selectedMetrics("sum by (controller) (rate(vworkspace_operator_reconcile_total[5m])")).toThrow("PromQL syntax error");
  });

  test("every query selects the job and namespace the ServiceMonitor scrapes", () => {
    const { objects } = helmTemplate(ns.name, ...MONITORING);
    const service = findRendered(objects, "Service", "vworkspace-operator-metrics") as KubeObject & { metadata: { labels: Record<string, string> } };
    const monitor = findRendered(objects, "ServiceMonitor") as KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] } };
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints.map((endpoint) => endpoint.port)).toEqual(["metrics"]);
    for (const { where, expr } of renderedQueries()) {
      const selector = where.startsWith("alert ") ? `namespace="${ns.name}", job="${service.metadata.name}"` : `job="${service.metadata.name}"`;
      expect(`${where}: ${expr}`).toContain(selector);
    }
  });
});
