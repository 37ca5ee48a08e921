/** Webhook flags → WebhookConfig: defaults from operations.md §8.1–8.2, and refusals that name the flag. */
import { describe, expect, test } from "bun:test";
import { FlagError, parseFlags } from "../../../src/cli/flags";
import { DEFAULT_WEBHOOK_CONFIG, WEBHOOK_FLAGS, webhookConfigFromFlags } from "../../../src/webhook/config";

const configOf = (...args: string[]) => webhookConfigFromFlags(parseFlags(args, WEBHOOK_FLAGS, {}).values);

describe("webhook flags", () => {
  test("defaults are the spec's: on, 9443, self-signed, no namespace selector", () => {
    const config = configOf();
    expect(config).toEqual(DEFAULT_WEBHOOK_CONFIG);
    expect(config.namespaceSelector).toBeUndefined();
  });

  test("--webhook-namespace-selector scopes admission to labelled namespaces", () => {
    expect(configOf("--webhook-namespace-selector=vworkspace.io/test=e2e,tier=a=b").namespaceSelector).toEqual({ "vworkspace.io/test": "e2e", tier: "a=b" });
  });

  test.each([["--webhook-namespace-selector=novalue", "key=value"], ["--webhook-namespace-selector==x", "key=value"], ["--webhook-cert-mode=vault", "--webhook-cert-mode"]])("%s is a flag error", (flag, named) => {
    expect(() => configOf(flag)).toThrow(FlagError);
    expect(() => configOf(flag)).toThrow(named);
  });
});
