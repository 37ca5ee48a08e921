/**
 * The inline-secret scan of docs/operations.md#inline-secret-material: finds the first string in a values or parameters object
 * that looks like secret material. Deterministic: keys in code-point order, array elements in index order.
 */

export type InlineSecretKind =
  /** The key in force names a secret (password, token, ...). */
  | "secret-key"
  /** The value is a PEM private key, whatever its key. */
  | "pem-private-key";

export interface InlineSecretFinding {
  /** `a.b[0].c`, relative to the scanned object. */
  readonly path: string;
  readonly kind: InlineSecretKind;
}

export interface InlineSecretScanOptions {
  /** RunCommand/Migration parameters: in an `env` item the key in force for `value` is the item's `name`. */
  readonly envItemNames?: boolean;
}

const PEM_PRIVATE_KEY = /^-----BEGIN [^\n]*PRIVATE KEY-----/;
const PLACEHOLDERS = new Set(["<set via externalsecret>", "<set via external-secret>"]);
const SECRET_KEY_NAMES = new Set(["accesskey", "secretkey", "apikey", "token"]);
const SECRET_KEY_SUFFIXES = ["password", "secret"];
const REFERENCE_KEY_SUFFIXES = ["secretname", "secretref", "secretkeyref"];
const ENV_ITEM_PATH = /^env\[\d+\]$/;

export function findInlineSecret(
  value: Readonly<Record<string, unknown>>,
  options: InlineSecretScanOptions = {},
): InlineSecretFinding | undefined {
  return scanObject(value, "", options);
}

function scanObject(
  object: Readonly<Record<string, unknown>>,
  path: string,
  options: InlineSecretScanOptions,
): InlineSecretFinding | undefined {
  for (const key of Object.keys(object).sort(compareCodePoints)) {
    const keyInForce = isEnvValue(key, path, object, options) ? String(object.name) : key;
    const found = scan(object[key], joinKey(path, key), keyInForce, options);
    if (found) return found;
  }
  return undefined;
}

function scan(
  value: unknown,
  path: string,
  keyInForce: string,
  options: InlineSecretScanOptions,
): InlineSecretFinding | undefined {
  if (typeof value === "string") return testString(value, path, keyInForce);
  if (Array.isArray(value)) {
    for (const [index, element] of value.entries()) {
      const found = scan(element, `${path}[${index}]`, keyInForce, options);
      if (found) return found;
    }
    return undefined;
  }
  if (isObject(value)) return scanObject(value, path, options);
  return undefined; // numbers, booleans and null are never secret material
}

// The PEM rule is checked first: it applies to every key and names the problem more precisely.
function testString(value: string, path: string, keyInForce: string): InlineSecretFinding | undefined {
  const trimmed = value.trim();
  if (trimmed === "" || PLACEHOLDERS.has(trimmed.toLowerCase())) return undefined;
  if (PEM_PRIVATE_KEY.test(trimmed)) return { path, kind: "pem-private-key" };
  if (isSecretKey(keyInForce)) return { path, kind: "secret-key" };
  return undefined;
}

function isSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (lower === "existingsecret" || REFERENCE_KEY_SUFFIXES.some((suffix) => lower.endsWith(suffix))) return false;
  return SECRET_KEY_NAMES.has(lower) || SECRET_KEY_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

// An env item sits at `env[i]` of the parameters and names itself.
function isEnvValue(
  key: string,
  path: string,
  object: Readonly<Record<string, unknown>>,
  options: InlineSecretScanOptions,
): boolean {
  if (options.envItemNames !== true || key !== "value") return false;
  return typeof object.name === "string" && ENV_ITEM_PATH.test(path);
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function joinKey(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Code-point order; String.prototype.sort compares UTF-16 code units, which differs beyond the BMP. */
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
