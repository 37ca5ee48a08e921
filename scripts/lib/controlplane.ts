// A loopback Kubernetes control plane built from a state dir (docs/development.md#the-local-cluster, docs/development.md#fault-and-bad-input-tests): kine (or
// etcd with VWS_STORE=etcd) + kube-apiserver + optional kube-controller-manager. Used by
// scripts/local-cluster.ts (detached, with KCM) and by fault tests (private planes, no KCM).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { ensurePlanePki, type PemPair, type PlanePki } from "./pki";
import { freePorts, isAddressInUse, LOOPBACK, tcpAccepts } from "./ports";
import { isRunning, ownOutput, pollUntil, spawnLogged, stopProc, type Proc } from "./procs";

export type StoreKind = "kine" | "etcd";

export interface PlaneBins {
  kubeApiserver: string;
  kcm?: string;
  kine?: string;
  etcd?: string;
}

export interface PlanePorts {
  store: number;
  /** etcd peer port; 0 for kine. */
  storePeer: number;
  apiserver: number;
  /** 0 without KCM. */
  kcm: number;
}

export interface PlaneOptions {
  /** Holds pki/, kine/ or etcd/, logs/ and kubeconfig; created when missing, PKI reused when valid. */
  stateDir: string;
  bins: PlaneBins;
  withKcm?: boolean;
  /** Default: "etcd" iff VWS_STORE=etcd. */
  store?: StoreKind;
  /** Children in their own session that outlive this process (local cluster). */
  detached?: boolean;
  /** Fixed ports (e.g. to restart a plane in place); fresh free ports otherwise. */
  ports?: PlanePorts;
  /** Appended to each child's flags, e.g. kine compaction settings for 410 tests. */
  extraArgs?: { store?: string[]; apiserver?: string[]; kcm?: string[] };
  /** Bound for the whole start, default 120 s. */
  readyTimeoutMs?: number;
  /**
   * Address kube-apiserver binds, advertises and is reached at (default 127.0.0.1). Pods on a local node
   * need one that is not loopback (it becomes the endpoint of Service default/kubernetes).
   */
  apiHost?: string;
}

/** What a client needs to reach the plane as the admin (system:masters). */
export interface ApiConnection {
  apiUrl: string;
  caPem: string;
  admin: PemPair;
}

export interface PlanePids {
  store: number;
  apiserver: number;
  kcm?: number;
}

const KCM_CONTROLLERS = [
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "clusterrole-aggregation-controller",
  "root-ca-certificate-publisher-controller",
].join(",");
const KINE_SQLITE_PARAMS = "_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate";
const PORT_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 10_000;

/** Starts a plane and waits until it is ready; on failure stops whatever it started. */
export async function startPlane(opts: PlaneOptions): Promise<ControlPlane> {
  const plane = await createPlane(opts);
  await plane.start(opts.ports);
  return plane;
}

/** Prepares state dir and PKI without starting anything, so callers can hook signals before start(). */
export async function createPlane(opts: PlaneOptions): Promise<ControlPlane> {
  return new ControlPlane(opts, ensureLayout(opts), await ensurePlanePki(join(resolve(opts.stateDir), "pki"), opts.apiHost));
}

export async function apiRequest(conn: ApiConnection, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, conn.apiUrl), {
    ...init,
    signal: init.signal ?? AbortSignal.timeout(10_000),
    tls: { ca: conn.caPem, cert: conn.admin.certPem, key: conn.admin.keyPem },
  });
}

/** True when /readyz answers 200 (false on any transport error). */
export async function apiserverReady(conn: ApiConnection): Promise<boolean> {
  try {
    const res = await apiRequest(conn, "/readyz", { signal: AbortSignal.timeout(3_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

interface Layout {
  stateDir: string;
  logDir: string;
  dataDir: string;
  kubeconfigPath: string;
}

function ensureLayout(opts: PlaneOptions): Layout {
  const stateDir = resolve(opts.stateDir);
  const dataDir = join(stateDir, storeKind(opts));
  const logDir = join(stateDir, "logs");
  for (const dir of [stateDir, dataDir, logDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { stateDir, logDir, dataDir, kubeconfigPath: join(stateDir, "kubeconfig") };
}

function storeKind(opts: PlaneOptions): StoreKind {
  return opts.store ?? (process.env.VWS_STORE === "etcd" ? "etcd" : "kine");
}

export class ControlPlane implements ApiConnection {
  readonly store: StoreKind;
  readonly stateDir: string;
  readonly kubeconfigPath: string;
  readonly caPem: string;
  readonly admin: PemPair;
  private portsInUse: PlanePorts = { store: 0, storePeer: 0, apiserver: 0, kcm: 0 };
  private storeProc?: Proc;
  private apiserverProc?: Proc;
  private kcmProc?: Proc;

  constructor(
    private readonly opts: PlaneOptions,
    private readonly layout: Layout,
    private readonly pki: PlanePki,
  ) {
    this.store = storeKind(opts);
    this.stateDir = layout.stateDir;
    this.kubeconfigPath = layout.kubeconfigPath;
    this.caPem = pki.ca.certPem;
    this.admin = pki.admin;
  }

  get apiUrl(): string {
    return `https://${this.opts.apiHost ?? LOOPBACK}:${this.portsInUse.apiserver}`;
  }

  get ports(): PlanePorts {
    return { ...this.portsInUse };
  }

  get pids(): PlanePids {
    return { store: this.storeProc?.pid ?? 0, apiserver: this.apiserverProc?.pid ?? 0, kcm: this.kcmProc?.pid };
  }

  /** Children still running, for callers that record or watch them. */
  procs(): Proc[] {
    return [this.storeProc, this.apiserverProc, this.kcmProc].filter((p): p is Proc => p !== undefined && isRunning(p));
  }

  async start(fixedPorts?: PlanePorts): Promise<void> {
    const deadline = this.newDeadline();
    this.portsInUse = fixedPorts ? { ...fixedPorts } : await this.allocatePorts();
    const mayMovePorts = fixedPorts === undefined;
    try {
      this.storeProc = await this.launchStore(deadline, mayMovePorts);
      this.apiserverProc = await this.launchApiserver(deadline, mayMovePorts);
      if (this.opts.withKcm) this.kcmProc = await this.launchKcm(deadline, mayMovePorts);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** SIGTERM KCM → apiserver → store, each bounded (10 s, then SIGKILL). */
  async stop(): Promise<void> {
    for (const proc of [this.kcmProc, this.apiserverProc, this.storeProc]) {
      if (proc) await stopProc(proc, { timeoutMs: STOP_TIMEOUT_MS });
    }
  }

  async stopApiserver(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.apiserverProc) await stopProc(this.apiserverProc, { signal, timeoutMs: STOP_TIMEOUT_MS });
  }

  /** Starts the apiserver again on the same port, PKI and store; resolves when /readyz is 200. */
  async startApiserver(): Promise<void> {
    this.assertStopped(this.apiserverProc);
    this.apiserverProc = await this.launchApiserver(this.newDeadline(), false);
  }

  async restartApiserver(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.stopApiserver(signal);
    await this.startApiserver();
  }

  async stopStore(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.storeProc) await stopProc(this.storeProc, { signal, timeoutMs: STOP_TIMEOUT_MS });
  }

  /** Starts the store again on the same port and data; resolves when it accepts connections. */
  async startStore(): Promise<void> {
    this.assertStopped(this.storeProc);
    this.storeProc = await this.launchStore(this.newDeadline(), false);
  }

  private launchStore(deadline: number, mayMovePorts: boolean): Promise<Proc> {
    const ports: (keyof PlanePorts)[] = this.store === "etcd" ? ["store", "storePeer"] : ["store"];
    return this.spawnAndWait(this.store, () => this.storeCommand(), mayMovePorts ? ports : [], async (proc) => {
      const what = `${this.store} on port ${this.portsInUse.store}`;
      await pollUntil(() => this.storeResponds(), { what, timeoutMs: remainingMs(deadline), watch: [proc] });
    });
  }

  private launchApiserver(deadline: number, mayMovePorts: boolean): Promise<Proc> {
    return this.spawnAndWait("kube-apiserver", () => this.apiserverCommand(), mayMovePorts ? ["apiserver"] : [], async (proc) => {
      this.writeKubeconfig();
      const watch = [proc, ...this.procs()];
      await pollUntil(() => apiserverReady(this), { what: `kube-apiserver ${this.apiUrl}/readyz`, timeoutMs: remainingMs(deadline), watch });
    });
  }

  private launchKcm(deadline: number, mayMovePorts: boolean): Promise<Proc> {
    return this.spawnAndWait("kube-controller-manager", () => this.kcmCommand(), mayMovePorts ? ["kcm"] : [], async (proc) => {
      const watch = [proc, ...this.procs()];
      const healthz = `https://${LOOPBACK}:${this.portsInUse.kcm}/healthz`;
      await pollUntil(() => httpOk(healthz, this.caPem), { what: `kube-controller-manager ${healthz}`, timeoutMs: remainingMs(deadline), watch });
      // The serviceaccount controller creating default/default proves the controllers really run.
      await pollUntil(() => this.resourceExists("/api/v1/namespaces/default/serviceaccounts/default"), {
        what: "ServiceAccount default/default (KCM controllers running)",
        timeoutMs: remainingMs(deadline),
        watch,
      });
    });
  }

  /**
   * Spawns a child and waits until it is ready. A child that lost the race for a freshly allocated
   * port ("address already in use") is retried on new `movablePorts`, at most PORT_ATTEMPTS times.
   */
  private async spawnAndWait(
    name: string,
    command: () => { bin: string; args: string[] },
    movablePorts: (keyof PlanePorts)[],
    waitReady: (proc: Proc) => Promise<void>,
  ): Promise<Proc> {
    for (let attempt = 1; ; attempt++) {
      const { bin, args } = command();
      const logPath = join(this.layout.logDir, `${name}.log`);
      const proc = spawnLogged({ name, bin, args, logPath, cwd: this.stateDir, detached: this.opts.detached });
      try {
        await waitReady(proc);
        return proc;
      } catch (err) {
        await stopProc(proc, { timeoutMs: STOP_TIMEOUT_MS });
        const canRetry = movablePorts.length > 0 && attempt < PORT_ATTEMPTS && isAddressInUse(ownOutput(proc));
        if (!canRetry) throw err;
        const fresh = await freePorts(movablePorts.length);
        movablePorts.forEach((key, i) => (this.portsInUse[key] = fresh[i] ?? 0));
      }
    }
  }

  private assertStopped(proc: Proc | undefined): void {
    if (proc && isRunning(proc)) throw new Error(`${proc.name} is still running (pid ${proc.pid}); stop it first`);
  }

  private newDeadline(): number {
    return Date.now() + (this.opts.readyTimeoutMs ?? 120_000);
  }

  private async allocatePorts(): Promise<PlanePorts> {
    const [store = 0, storePeer = 0, apiserver = 0, kcm = 0] = await freePorts(4);
    return { store, storePeer: this.store === "etcd" ? storePeer : 0, apiserver, kcm: this.opts.withKcm ? kcm : 0 };
  }

  private async storeResponds(): Promise<boolean> {
    if (this.store === "kine") return tcpAccepts(this.portsInUse.store);
    const res = await fetch(`http://${LOOPBACK}:${this.portsInUse.store}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { health?: unknown };
    return res.ok && body.health === "true";
  }

  private async resourceExists(path: string): Promise<boolean> {
    const res = await apiRequest(this, path);
    await res.arrayBuffer();
    return res.status === 200;
  }

  private storeCommand(): { bin: string; args: string[] } {
    const extra = this.opts.extraArgs?.store ?? [];
    const { store, storePeer } = this.portsInUse;
    if (this.store === "etcd") {
      const client = `http://${LOOPBACK}:${store}`;
      const peer = `http://${LOOPBACK}:${storePeer}`;
      const args = [
        "--name=vws",
        `--data-dir=${this.layout.dataDir}`,
        "--unsafe-no-fsync",
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=vws=${peer}`,
      ];
      return { bin: requireBin(this.opts.bins.etcd, "etcd (VWS_STORE=etcd needs k8s-bins.sh --with-etcd)"), args: [...args, ...extra] };
    }
    const args = [
      `--listen-address=${LOOPBACK}:${store}`,
      "--metrics-bind-address=0",
      `--endpoint=sqlite://${join(this.layout.dataDir, "kine.db")}?${KINE_SQLITE_PARAMS}`,
      "--emulated-etcd-version=3.6.11",
      "--watch-progress-notify-interval=5s",
    ];
    return { bin: requireBin(this.opts.bins.kine, "kine"), args: [...args, ...extra] };
  }

  private apiserverCommand(): { bin: string; args: string[] } {
    const pki = this.pki.paths;
    const { apiserver, store } = this.portsInUse;
    const args = [
      `--etcd-servers=http://${LOOPBACK}:${store}`,
      `--bind-address=${this.opts.apiHost ?? LOOPBACK}`,
      `--secure-port=${apiserver}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${this.apiUrl}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--disable-admission-plugins=ServiceAccount",
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=1",
    ];
    return { bin: this.opts.bins.kubeApiserver, args: withOverrides(args, this.opts.extraArgs?.apiserver ?? []) };
  }

  private kcmCommand(): { bin: string; args: string[] } {
    const pki = this.pki.paths;
    const kubeconfig = this.kubeconfigPath;
    const args = [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${this.portsInUse.kcm}`,
      `--tls-cert-file=${pki.kcmCert}`,
      `--tls-private-key-file=${pki.kcmKey}`,
      "--leader-elect=false",
      `--controllers=${KCM_CONTROLLERS}`,
      "--use-service-account-credentials=false",
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      "--profiling=false",
      // Deleting one namespace takes a list and a deletecollection per served resource (~100 with the
      // third-party CRDs); at the default 20 QPS that is ~10 s per namespace, and tests delete hundreds.
      "--kube-api-qps=500",
      "--kube-api-burst=1000",
      "--v=1",
    ];
    return { bin: requireBin(this.opts.bins.kcm, "kube-controller-manager"), args: [...args, ...(this.opts.extraArgs?.kcm ?? [])] };
  }

  private writeKubeconfig(): void {
    writeFileSync(this.kubeconfigPath, kubeconfigYaml(this), { mode: 0o600 });
  }
}

/** Admin kubeconfig with embedded CA, client certificate and key. */
export function kubeconfigYaml(conn: ApiConnection, name = "vws-local"): string {
  const b64 = (pem: string) => Buffer.from(pem).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: conn.apiUrl, "certificate-authority-data": b64(conn.caPem) } }],
    users: [{ name: "vws-admin", user: { "client-certificate-data": b64(conn.admin.certPem), "client-key-data": b64(conn.admin.keyPem) } }],
    contexts: [{ name, context: { cluster: name, user: "vws-admin" } }],
    "current-context": name,
  });
}

async function httpOk(url: string, caPem: string): Promise<boolean> {
  const res = await fetch(url, { tls: { ca: caPem }, signal: AbortSignal.timeout(3_000) });
  await res.arrayBuffer();
  return res.status === 200;
}

function remainingMs(deadline: number): number {
  return Math.max(1_000, deadline - Date.now());
}

// List-valued flags (--authorization-mode, --disable-admission-plugins) accumulate when repeated, so an
// extra flag replaces the default of the same name instead of following it.
function withOverrides(defaults: string[], extra: string[]): string[] {
  const flagName = (arg: string) => arg.split("=")[0];
  const overridden = new Set(extra.map(flagName));
  return [...defaults.filter((arg) => !overridden.has(flagName(arg))), ...extra];
}

function requireBin(path: string | undefined, what: string): string {
  if (!path) throw new Error(`no binary for ${what}: run bash scripts/k8s-bins.sh (see .local/k8s-bins.env)`);
  return path;
}
