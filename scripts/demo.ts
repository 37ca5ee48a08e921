// `npm run demo` (docs/first-application.md): from a fresh clone to a Ready application on real Flux and back.
//   bun scripts/demo.ts [--keep] [--no-node] [--timeout SECONDS]
//   --keep      leave the application, the cluster, Flux, the control plane and the operator running until Ctrl-C
//   --no-node   a cluster without a node (no root needed); the backup step, whose Pod needs the node, is skipped
// VWS_CLUSTER_DIR moves the private cluster (default .local/demo-cluster); the test cluster is never touched.
import { join, resolve } from "node:path";
import { newDemoRun, runDemo, stopDemo } from "./demo/run";
import { summaryTable } from "./demo/report";

const ROOT = resolve(import.meta.dir, "..");
const USAGE = "usage: npm run demo -- [--keep] [--no-node] [--timeout SECONDS]";

function parseArgs(argv: string[]): { keep: boolean; withNode: boolean; timeoutMs: number } {
  const options = { keep: false, withNode: true, timeoutMs: 300_000 };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === "--keep") options.keep = true;
    else if (arg === "--no-node") options.withNode = false;
    else if (arg === "--timeout") {
      const seconds = Number(argv[++index]);
      if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--timeout needs a whole number of seconds, got ${JSON.stringify(argv[index])}`);
      options.timeoutMs = seconds * 1000;
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return options;
}

async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const out = (line: string) => console.log(line);
  const clusterDir = resolve(process.env.VWS_CLUSTER_DIR || join(ROOT, ".local/demo-cluster"));
  const run = newDemoRun(
    { clusterDir, workDir: join(ROOT, ".local/demo"), withNode: options.withNode, names: { namespace: "demo-shop", instance: "shop" }, stepTimeoutMs: options.timeoutMs, keep: options.keep },
    out,
  );
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) process.exit(130); // a second Ctrl-C gives up on the clean-up
    interrupted = true;
    out("\ninterrupted: stopping everything the demo started (Ctrl-C again to leave it)");
    run.interrupt();
  });
  process.on("SIGTERM", () => run.interrupt());
  await runDemo(run, out);
  out(`\n${summaryTable(run.records)}`);
  if (run.context.signal.aborted) return 130;
  if (run.error) out(`\ndemo failed: ${run.error.message}\nlogs: ${join(ROOT, ".local/demo/logs")}, ${join(clusterDir, "logs")}`);
  if (options.keep) {
    out(`\nkept running: export KUBECONFIG=${join(clusterDir, "kubeconfig")}; kubectl get appinst,op -n demo-shop; Ctrl-C stops everything`);
    await new Promise((resolve) => run.context.signal.addEventListener("abort", resolve, { once: true }));
    await stopDemo(run, out);
  }
  return run.error ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
