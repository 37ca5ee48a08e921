import pino from "pino";

export type Logger = pino.Logger;

/** Paths whose values never reach a log line, whatever object they sit in. */
const REDACTED_PATHS = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "password",
  "*.password",
  // Not "key": work-queue keys ("namespace/name") are logged on purpose; key material goes by these names.
  "keyPem",
  "*.keyPem",
  "tlsKey",
  "*.tlsKey",
  "privateKey",
  "*.privateKey",
  "data",
  "*.data",
  "stringData",
  "*.stringData",
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where JSON lines go; stdout by default. Tests pass their own sink. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? "info",
    name: options.name ?? "vworkspace-operator",
    redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination ? pino(base, options.destination) : pino(base, pino.destination({ sync: true }));
}
