/** Webhook flags → WebhookConfig: defaults from docs/operations.md#admission-webhooks, docs/operations.md#serving-certificate, and refusals that name the flag. */
import { describe, expect, test } from "bun:test";
import { FlagError, parseFlags } from "../../../src/commandline/flags";
import { DEFAULT_CERT_DIR, DEFAULT_WEBHOOK_CONFIG, WEBHOOK_FLAGS, webhookConfigFromFlags, writesCaBundle } from "../../../src/webhook/config";

const configOf = (...args: string[]) => webhookConfigFromFlags(parseFlags(args, WEBHOOK_FLAGS, {}).values);
const configFromEnv = (env: Record<string, string>) => webhookConfigFromFlags(parseFlags([], WEBHOOK_FLAGS, env).values);

describe("webhook flags", () => {
  test("defaults are the spec's: on, 9443, self-signed, no namespace selector", () => {
    const config = configOf();
    expect(config).toEqual(DEFAULT_WEBHOOK_CONFIG);
    expect(config.namespaceSelector).toBeUndefined();
  });

  test("--webhook-drain-delay: none by default, a duration when set", () => {
    expect(configOf().drainDelayMs).toBe(0);
    expect(configOf("--webhook-drain-delay=5s").drainDelayMs).toBe(5_000);
  });

  test("--webhook-namespace-selector scopes admission to labelled namespaces", () => {
    expect(configOf("--webhook-namespace-selector=vworkspace.io/test=e2e,tier=a=b").namespaceSelector).toEqual({ "vworkspace.io/test": "e2e", tier: "a=b" });
  });

  test.each([
    ["--webhook-namespace-selector=novalue", "key=value"],
    ["--webhook-namespace-selector==x", "key=value"],
    ["--webhook-cert-mode=vault", "--webhook-cert-mode"],
    ["--webhook-cert-dir=/certs", "--webhook-cert-dir needs --webhook-cert-mode=files, got --webhook-cert-mode=self-signed"],
    ["--webhook-cert-mode=external --webhook-ca-file=/ca.pem", "--webhook-ca-file needs --webhook-cert-mode=files"],
  ])("%s is a flag error", (flags, named) => {
    expect(() => configOf(...flags.split(" "))).toThrow(FlagError);
    expect(() => configOf(...flags.split(" "))).toThrow(named);
  });
});

describe("files mode flags", () => {
  test("controller-runtime's CertDir by default, ca.crt beside the pair, re-read every 10 s", () => {
    const config = configOf("--webhook-cert-mode=files");
    expect([config.certMode, config.certDir, config.caFile, config.certWatchIntervalMs]).toEqual(["files", DEFAULT_CERT_DIR, "", 10_000]);
    expect(DEFAULT_CERT_DIR).toBe("/tmp/k8s-webhook-server/serving-certs");
  });

  test("directory, CA file and interval from flags", () => {
    const config = configOf("--webhook-cert-mode=files", "--webhook-cert-dir=/certs", "--webhook-ca-file=/ca/bundle.pem", "--webhook-cert-watch-interval=2s");
    expect([config.certDir, config.caFile, config.certWatchIntervalMs]).toEqual(["/certs", "/ca/bundle.pem", 2_000]);
  });

  test("mode, directory and CA file from the environment", () => {
    const config = configFromEnv({ VWS_WEBHOOK_CERT_MODE: "files", VWS_WEBHOOK_CERT_DIR: "/certs", VWS_WEBHOOK_CA_FILE: "/ca.pem" });
    expect([config.certMode, config.certDir, config.caFile]).toEqual(["files", "/certs", "/ca.pem"]);
  });
});

describe("writesCaBundle", () => {
  test.each([
    ["self-signed", "CA", true],
    ["files", "CA", true],
    ["files", undefined, false],
    ["cert-manager", "CA", false],
    ["external", "CA", false],
  ] as const)("%s with CA %p → %p", (mode, caPem, expected) => {
    expect(writesCaBundle(mode, caPem)).toBe(expected);
  });
});
