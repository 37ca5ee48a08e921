/**
 * CPU seconds a set of processes spent (user + system, from /proc/<pid>/stat), so a bench can say where the
 * machine's time went during a window: the operator under test, or the API server and its store.
 */
import { readFileSync } from "node:fs";

/** Linux's USER_HZ, fixed at 100 on every architecture we build for. */
const TICKS_PER_SECOND = 100;

export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name, which may itself hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** The API server's and its store's pids, from the state file scripts/local-cluster.ts writes. */
export function controlPlanePids(clusterDir: string): number[] {
  const state = JSON.parse(readFileSync(`${clusterDir}/state.json`, "utf8")) as { pids: Record<string, number> };
  return [state.pids.apiserver, state.pids.kine].filter((pid): pid is number => typeof pid === "number");
}
