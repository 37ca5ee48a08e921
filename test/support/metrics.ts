/** Reads Prometheus text from an operator's /metrics: the sum of one metric over all label sets. */
export async function metricSum(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line === name || line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}
