/** `doctor`: what the cluster has and lacks for the operator, per feature; exit 1 when a required piece is missing. */
import { gitopsSourceFlag } from "../agent/config";
import { DEFAULT_WEBHOOK_CONFIG } from "../webhook/config";
import { FlagError, parseFlags, renderFlagHelp, type FlagSpec } from "../commandline/flags";
import type { CommandIO, Env } from "../commandline/command";

const DOCTOR_FLAGS: FlagSpec[] = [
  { name: "kubeconfig", type: "string", help: "Path to a kubeconfig; else $KUBECONFIG, in-cluster, then /etc/rancher/k3s/k3s.yaml" },
  { name: "namespace", type: "string", env: "POD_NAMESPACE", default: "vworkspace-system", help: "The operator's own namespace (webhook TLS Secret)" },
  { name: "flux-namespace", type: "string", default: "flux-system", help: "Namespace of the Flux controllers (looked in first)" },
  { name: "webhook-config-name", type: "string", default: DEFAULT_WEBHOOK_CONFIG.configName, help: "ValidatingWebhookConfiguration name" },
  { name: "webhook-cert-secret", type: "string", default: DEFAULT_WEBHOOK_CONFIG.certSecret, help: "Secret holding the webhook serving certificate" },
  { name: "gitops-source", type: "string", default: "", help: "GitOps mode: <namespace>/<name> of the GitRepository, as the operator's flag (default: <namespace>/vworkspace-desired-state)" },
  { name: "output", type: "string", default: "text", help: "text, or json for scripts" },
  { name: "timeout", type: "duration", default: "10s", help: "Bound on each API request and TLS handshake" },
];

const USAGE = `Usage: vworkspace-operator doctor [flags]

Reports what the cluster has and lacks for the operator, feature by feature: ✓ in place, ! missing but
optional or risky, ✗ required and missing (exit 1). Required: the API server, the operator's CRDs, Flux's
APIs and controllers, and a registered admission webhook that answers. GitOps commit verification being off
warns.`;

export async function doctorCommand(args: string[], env: Env, io: CommandIO): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`${USAGE}\n\nFlags:\n${renderFlagHelp(DOCTOR_FLAGS)}`);
    return 0;
  }
  const parsed = parseFlags(args, DOCTOR_FLAGS, env);
  if (parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  const value = (name: string) => parsed.values.get(name) as string;
  const output = value("output");
  if (output !== "text" && output !== "json") throw new FlagError(`--output: "${output}" is not text or json`);
  // Loaded on use: `run` never needs the doctor's checks in memory.
  const [{ gatherFacts }, { diagnose, expectedCrds }, { jsonReport, textReport }, { exitCodeOf }] = await Promise.all([
    import("../doctor/gather"),
    import("../doctor/verdicts/index"),
    import("../doctor/report"),
    import("../doctor/check"),
  ]);
  const gitopsSource = gitopsSourceFlag(value("gitops-source"));
  const settings = {
    namespace: value("namespace"),
    fluxNamespace: value("flux-namespace"),
    webhookConfigName: value("webhook-config-name"),
    webhookCertSecret: value("webhook-cert-secret"),
    gitopsSource: { namespace: gitopsSource.namespace || value("namespace"), name: gitopsSource.name },
  };
  const expected = expectedCrds();
  const kubeconfigPath = parsed.values.get("kubeconfig") as string | undefined;
  const facts = await gatherFacts({
    ...(kubeconfigPath ? { kubeconfigPath } : {}),
    env,
    settings,
    timeoutMs: parsed.values.get("timeout") as number,
    crdNames: expected.map((crd) => crd.name),
  });
  const checks = diagnose(facts, settings, expected);
  io.out(output === "json" ? JSON.stringify(jsonReport(checks), null, 2) : textReport(checks));
  return exitCodeOf(checks);
}
