/**
 * The demo's sequence: every step in order with a progress line per event and its timing, the teardown always
 * (unless kept), and the records for the final table. `npm run demo` and test/e2e/demo.test.ts both run this.
 */
import type { DemoContext, DemoSettings } from "./context";
import { backUpApplication, deleteApplication, deployApplication, registerCluster, upgradeApplication } from "./application";
import { buildWhatIsMissing, startCluster, startFluxAndCharts, startOperator, startReferenceControlPlane, stopEverything } from "./infra";
import { progressLine, stepLine, type StepRecord } from "./report";

export interface DemoStep {
  title: string;
  run(context: DemoContext): Promise<string>;
  /** Why the step cannot run with these settings, or undefined when it can. */
  skipReason?(settings: DemoSettings): string | undefined;
}

export const DEMO_STEPS: readonly DemoStep[] = [
  { title: "build what is missing", run: buildWhatIsMissing },
  { title: "start the cluster", run: startCluster },
  { title: "start Flux and the chart repository", run: startFluxAndCharts },
  { title: "start the reference control plane", run: startReferenceControlPlane },
  { title: "start the operator", run: startOperator },
  { title: "register the cluster (pull mode)", run: registerCluster },
  { title: "deploy the application", run: deployApplication },
  { title: "upgrade it (Operation, helm engine)", run: upgradeApplication },
  {
    title: "back it up (Operation, job engine)",
    run: backUpApplication,
    skipReason: (settings) => (settings.withNode ? undefined : "needs a node to run the backup Pod (run without --no-node)"),
  },
  { title: "delete it", run: deleteApplication, skipReason: (settings) => (settings.keep ? "--keep: the application stays for you to look at" : undefined) },
];
export const STOP_STEP: DemoStep = { title: "stop everything", run: stopEverything };

export interface DemoRun {
  context: DemoContext;
  records: StepRecord[];
  /** When the current step began: progress lines show the time since. */
  stepStarted: number;
  /** The first failure, when a step failed. */
  error?: Error;
  /** The teardown, once begun. */
  stopping?: Promise<StepRecord>;
  /** Ctrl-C: the step in flight ends early, no further step starts, and the teardown follows. */
  interrupt(): void;
}

export function newDemoRun(settings: DemoSettings, out: (line: string) => void): DemoRun {
  const interrupted = new AbortController();
  const progress = (text: string) => out(progressLine(Date.now() - run.stepStarted, text));
  const run: DemoRun = { context: { settings, state: {}, progress, signal: interrupted.signal }, records: [], stepStarted: Date.now(), interrupt: () => interrupted.abort() };
  return run;
}

/** Runs one step; records it and prints its line. A failure is recorded and returned, never thrown. */
export async function runStep(run: DemoRun, step: DemoStep, out: (line: string) => void): Promise<StepRecord> {
  const skip = step.skipReason?.(run.context.settings);
  const started = Date.now();
  run.stepStarted = started;
  let record: StepRecord;
  if (skip) {
    record = { title: step.title, outcome: "skipped", ms: 0, detail: skip };
  } else {
    out(`▶ ${step.title}`);
    try {
      const detail = await step.run(run.context);
      record = { title: step.title, outcome: "done", ms: Date.now() - started, detail };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      run.error ??= error;
      record = { title: step.title, outcome: "failed", ms: Date.now() - started, detail: error.message.split("\n")[0] ?? "" };
    }
  }
  run.records.push(record);
  out(stepLine(record));
  return record;
}

/** Stops what the run started; a second call waits for the first instead of stopping twice. */
export function stopDemo(run: DemoRun, out: (line: string) => void): Promise<StepRecord> {
  run.stopping ??= runStep(run, STOP_STEP, out);
  return run.stopping;
}

/** Every step until one fails or the run is interrupted; then the teardown unless kept (an interrupt always stops). */
export async function runDemo(run: DemoRun, out: (line: string) => void): Promise<DemoRun> {
  for (const step of DEMO_STEPS) {
    if (run.context.signal.aborted) break;
    const record = await runStep(run, step, out);
    if (record.outcome === "failed") break;
  }
  if (!run.context.settings.keep || run.context.signal.aborted) await stopDemo(run, out);
  return run;
}
