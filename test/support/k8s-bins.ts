/** What scripts/k8s-bins.sh recorded in .local/k8s-bins.env, with the process environment taking precedence. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readEnvFile } from "../../scripts/local-cluster";
import { REPO_ROOT } from "./cluster";

export function k8sBinsEnv(): Record<string, string | undefined> {
  const path = join(REPO_ROOT, ".local/k8s-bins.env");
  return { ...(existsSync(path) ? readEnvFile(path) : {}), ...process.env };
}

/** The path of a built binary (e.g. VWS_BIN_HELM); throws with the remedy when it was not built. */
export function k8sBin(name: string): string {
  const path = k8sBinsEnv()[name];
  if (!path) throw new Error(`${name} is not set: run scripts/k8s-bins.sh (npm test does)`);
  return path;
}
