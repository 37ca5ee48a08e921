import { describe, expect, test } from "bun:test";
import { HealthChecks } from "../../../src/observability/health";
import { listen, parseBindAddress } from "../../../src/observability/listen";
import { createLogger } from "../../../src/observability/logger";
import { OperatorMetrics } from "../../../src/observability/metrics";

describe("health endpoints", () => {
  test("ready only when every check passes, with a verbose listing of each", async () => {
    const checks = new HealthChecks();
    let apiUp = false;
    checks.ready.set("apiserver", () => ({ ok: apiUp, message: "connection refused" }));
    checks.ready.set("crds", async () => ({ ok: true, message: "3 served" }));
    const app = checks.app();

    const down = await app.request("/readyz");
    expect(down.status).toBe(500);
    expect(await down.text()).toContain("[-]apiserver failed: connection refused");

    apiUp = true;
    const up = await app.request("/readyz");
    expect(up.status).toBe(200);
    expect(await up.text()).toBe("ok");
    expect(await (await app.request("/readyz?verbose")).text()).toContain("[+]crds ok");
  });

  test("the readiness gauge reports what /readyz answers at each scrape", async () => {
    const checks = new HealthChecks();
    const metrics = new OperatorMetrics();
    let apiUp = false;
    checks.ready.set("apiserver", () => ({ ok: apiUp, message: "connection refused" }));
    metrics.reportReadiness(() => checks.isReady());
    expect(await metrics.registry.getSingleMetricAsString("vworkspace_operator_ready")).toContain("\nvworkspace_operator_ready 0");
    apiUp = true;
    expect(await metrics.registry.getSingleMetricAsString("vworkspace_operator_ready")).toContain("\nvworkspace_operator_ready 1");
  });

  test("a throwing check fails the probe instead of the server", async () => {
    const checks = new HealthChecks();
    checks.ready.set("boom", () => {
      throw new Error("kaput");
    });
    const response = await checks.app().request("/readyz");
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("[-]boom failed: kaput");
    expect((await checks.app().request("/healthz")).status).toBe(200);
  });
});

describe("bind addresses", () => {
  test.each([
    [":8081", { hostname: "0.0.0.0", port: 8081 }],
    ["127.0.0.1:0", { hostname: "127.0.0.1", port: 0 }],
    ["[::1]:9000", { hostname: "::1", port: 9000 }],
  ])("%s", (text, expected) => expect(parseBindAddress(text)).toEqual(expected));

  test("0 disables the listener", () => expect(parseBindAddress("0")).toBeUndefined());
  test.each(["8081", "host:99999", "host:x"])("%s is rejected", (text) => expect(() => parseBindAddress(text)).toThrow(text));
});

describe("listen", () => {
  test("a handler that throws gets a bare 500 that shows neither the error nor its stack", async () => {
    const logged: string[] = [];
    const logger = createLogger({ level: "error", destination: { write: (line: string) => void logged.push(line) } });
    const listener = listen({ hostname: "127.0.0.1", port: 0 }, () => {
      throw new Error("internal detail that must not leave the process");
    }, "health", logger);
    const response = await fetch(`${listener.url}/`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("internal detail");
    expect(logged.join("")).toContain("internal detail");
    await listener.stop();
  });
});
