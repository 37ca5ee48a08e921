/** Verdicts on the API server, our CRDs and the Cluster registration: facts in, report lines out. */
import { OPS_API_VERSION as CLUSTER_API_VERSION } from "../../api/groups";
import { honouredCluster } from "../../api/honoured-cluster";
import { check, type Check } from "../check";
import type { ApiServerFacts, ClusterObjectFacts, CrdFacts, DoctorFacts, Lookup } from "../facts";

const API = "API server";
const CRDS = "Our CRDs";
const REGISTRATION = "Cluster registration";

/** Beyond this the control plane's signed jobs and token expiries start to misfire; Date has 1 s resolution. */
const CLOCK_SKEW_WARN_MS = 5_000;

export interface ExpectedCrd {
  name: string;
  versions: Array<{ name: string; served: boolean; storage: boolean; fingerprint: string }>;
}

export function apiServerChecks(api: ApiServerFacts): Check[] {
  if (!api.reachable) {
    return [
      check(
        API,
        api.server || "kubeconfig",
        "fail",
        `unreachable: ${api.error ?? "no answer"}`,
        "check --kubeconfig / $KUBECONFIG, the server address and your network; nothing else can be checked without it",
      ),
    ];
  }
  return [check(API, "version", "ok", `${api.version ?? "unknown"} at ${api.server} (kubeconfig: ${api.source})`), clockSkewCheck(api)];
}

function clockSkewCheck(api: ApiServerFacts): Check {
  if (api.serverDateMs === undefined || api.localMidpointMs === undefined) {
    return check(API, "clock skew", "warn", "the API server sent no Date header; skew unknown");
  }
  const skewMs = api.localMidpointMs - api.serverDateMs;
  // The Date header drops the fraction of a second, so up to 1 s of "skew" is measurement.
  const shown = `${skewMs >= 0 ? "local clock ahead by" : "local clock behind by"} ${(Math.abs(skewMs) / 1000).toFixed(1)} s`;
  if (Math.abs(skewMs) <= CLOCK_SKEW_WARN_MS) return check(API, "clock skew", "ok", shown);
  return check(API, "clock skew", "warn", shown, "synchronise this machine's clock (NTP); signed jobs and credential expiry compare times");
}

export function crdChecks(crds: DoctorFacts["crds"], expected: readonly ExpectedCrd[]): Check[] {
  return expected.map((want) => crdCheck(want, crds[want.name] ?? { state: "absent" }));
}

function crdCheck(want: ExpectedCrd, lookup: Lookup<CrdFacts>): Check {
  const install = "install them: vworkspace-operator crds | kubectl apply --server-side -f - (or run with --install-crds)";
  if (lookup.state === "absent") return check(CRDS, want.name, "fail", "not installed", install);
  if (lookup.state === "error") return check(CRDS, want.name, "fail", `cannot read: ${lookup.error}`, "run doctor with rights to get CustomResourceDefinitions");
  const crd = lookup.value;
  const versions = crd.versions.map((version) => `${version.name} (${[version.served ? "served" : "not served", version.storage ? "storage" : ""].filter(Boolean).join(", ")})`).join(", ");
  if (!crd.established) return check(CRDS, want.name, "fail", `${versions}; not Established`, "see `kubectl describe crd` for why the API server refused it");
  const missing = want.versions.filter((version) => !crd.versions.some((have) => have.name === version.name && have.served));
  if (missing.length > 0) {
    return check(CRDS, want.name, "fail", `${versions}; this binary needs ${missing.map((version) => version.name).join(", ")} served`, install);
  }
  const stale = want.versions.filter((version) => crd.versions.find((have) => have.name === version.name)?.fingerprint !== version.fingerprint);
  if (stale.length > 0) {
    return check(
      CRDS,
      want.name,
      "warn",
      `${versions}; schema differs from this binary's (another operator version installed it)`,
      "apply this binary's CRDs: vworkspace-operator crds | kubectl apply --server-side -f -",
    );
  }
  return check(CRDS, want.name, "ok", `${versions}; matches this binary`);
}

export function registrationChecks(clusters: Lookup<ClusterObjectFacts[]>, nowMs: number): Check[] {
  if (clusters.state === "absent") return [];
  if (clusters.state === "error") return [check(REGISTRATION, "Cluster", "warn", `cannot list Clusters: ${clusters.error}`)];
  const honoured = honouredClusterOf(clusters.value);
  if (!honoured) {
    return [
      check(
        REGISTRATION,
        "Cluster",
        "warn",
        "no Cluster object: the operator is not registered with a control plane and reconciles local objects only",
        "register: vworkspace-operator register --help (or apply a Cluster with spec.controlPlaneEndpoint)",
      ),
    ];
  }
  const lines = [honouredLine(honoured, nowMs)];
  const ignored = clusters.value.filter((cluster) => cluster.name !== honoured.name).map((cluster) => cluster.name);
  if (ignored.length > 0) {
    lines.push(check(REGISTRATION, "ignored Clusters", "warn", `only the oldest Cluster is honoured; ignored: ${ignored.join(", ")}`, "delete the Cluster objects you do not use"));
  }
  return lines;
}

/** The Cluster the operator acts on, chosen as the operator chooses it. */
export function honouredClusterOf(clusters: readonly ClusterObjectFacts[]): ClusterObjectFacts | undefined {
  return honouredCluster(clusters.map((cluster) => ({ apiVersion: CLUSTER_API_VERSION, kind: "Cluster", metadata: { name: cluster.name, creationTimestamp: cluster.creationTimestamp }, facts: cluster })))?.facts;
}

function honouredLine(cluster: ClusterObjectFacts, nowMs: number): Check {
  const heartbeat = cluster.lastHeartbeat ? `, last heartbeat ${age(nowMs - Date.parse(cluster.lastHeartbeat))} ago` : ", no heartbeat yet";
  const connected = cluster.connected ? `Connected=${cluster.connected.status} (${cluster.connected.reason})` : "no Connected condition";
  const detail = `${cluster.name}: mode ${cluster.mode ?? "unset"}, phase ${cluster.phase ?? "unset"}, ${connected}${heartbeat}`;
  if (cluster.deleting) return check(REGISTRATION, "Cluster", "warn", `${detail}; being deleted`);
  if (cluster.connected?.status === "True") return check(REGISTRATION, "Cluster", "ok", detail);
  const why = cluster.connected?.message ? `: ${cluster.connected.message}` : "";
  return check(REGISTRATION, "Cluster", "warn", `${detail}${why}`, "see the Cluster's conditions and Events: kubectl describe cluster " + cluster.name);
}

export function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
