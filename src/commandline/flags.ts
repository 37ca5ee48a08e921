/**
 * A small declarative flag parser: Go-style `--name=value` / `--name value`, booleans as `--name`,
 * `--name=false`, an environment variable per flag as fallback, and errors that name the flag.
 */
import { parseDuration } from "./duration";

export type FlagType = "string" | "bool" | "int" | "duration" | "list";

export interface FlagSpec {
  name: string;
  type: FlagType;
  help: string;
  env?: string;
  default?: string;
}

export type FlagValue = string | boolean | number | string[];

export class FlagError extends Error {
  override name = "FlagError";
}

export interface ParsedFlags {
  values: Map<string, FlagValue>;
  positionals: string[];
}

function convert(spec: FlagSpec, raw: string, origin: string): FlagValue {
  switch (spec.type) {
    case "string":
      return raw;
    case "list":
      return raw.split(",").map((item) => item.trim()).filter((item) => item !== "");
    case "bool": {
      const lowered = raw.toLowerCase();
      if (["true", "1", "yes"].includes(lowered)) return true;
      if (["false", "0", "no"].includes(lowered)) return false;
      throw new FlagError(`${origin}: "${raw}" is not a boolean (use true or false)`);
    }
    case "int": {
      if (!/^-?\d+$/.test(raw)) throw new FlagError(`${origin}: "${raw}" is not an integer`);
      return Number(raw);
    }
    case "duration": {
      const ms = parseDuration(raw);
      if (ms === undefined) throw new FlagError(`${origin}: "${raw}" is not a duration (examples: 90s, 10m, 1h)`);
      return ms;
    }
  }
}

function defaults(specs: FlagSpec[], env: Record<string, string | undefined>): Map<string, FlagValue> {
  const values = new Map<string, FlagValue>();
  for (const spec of specs) {
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") values.set(spec.name, convert(spec, fromEnv, `$${spec.env}`));
    else if (spec.default !== undefined) values.set(spec.name, convert(spec, spec.default, `--${spec.name} default`));
  }
  return values;
}

export function parseFlags(args: string[], specs: FlagSpec[], env: Record<string, string | undefined>): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = defaults(specs, env);
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag --${name}`);
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.type === "bool") raw = "true";
    else if (i + 1 < args.length) raw = args[++i] as string;
    else throw new FlagError(`--${name} needs a value`);
    values.set(name, convert(spec, raw, `--${name}`));
  }
  return { values, positionals };
}

export function renderFlagHelp(specs: FlagSpec[]): string {
  return specs
    .map((spec) => {
      const value = spec.type === "bool" ? "" : ` <${spec.type}>`;
      const extras = [spec.default !== undefined ? `default ${spec.default || '""'}` : "", spec.env ? `env ${spec.env}` : ""]
        .filter(Boolean)
        .join(", ");
      return `  --${spec.name}${value}\n      ${spec.help}${extras ? ` (${extras})` : ""}`;
    })
    .join("\n");
}
