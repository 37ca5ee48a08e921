/** Every generated file under docs/reference, path relative to the repository root → content. */
import { renderApiReference } from "./api-reference";
import { renderConditionsReference } from "./conditions-reference";
import { renderMetricsReference } from "./metrics-reference";

export async function renderDocFiles(): Promise<Map<string, string>> {
  return new Map([
    ["docs/reference/api.md", renderApiReference()],
    ["docs/reference/conditions.md", renderConditionsReference()],
    ["docs/reference/metrics.md", await renderMetricsReference()],
  ]);
}
