/**
 * Just enough of systemd's unit semantics to run a unit's ExecStart outside systemd the way systemd
 * would: [Service] settings, EnvironmentFile parsing and `$VAR` / `${VAR}` expansion in ExecStart.
 */

/** Every `Key=value` of one section, in order; repeated keys keep every value. */
export function unitSection(text: string, section: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const eq = line.indexOf("=");
    if (current === section && eq > 0) entries.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return entries;
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  return quoted ? quoted[1]!.replace(/\\(.)/g, "$1") : value;
}

/** `Environment=` assignments: space-separated KEY=VALUE words, each optionally quoted. */
export function environmentAssignments(value: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of value.match(/"[^"]*"|'[^']*'|\S+/g) ?? []) {
    const assignment = unquote(word);
    const eq = assignment.indexOf("=");
    if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** An EnvironmentFile: KEY=VALUE lines, `#`/`;` comments, values optionally quoted. */
export function environmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`environment file line without '=': ${line}`);
    env[line.slice(0, eq).trim()] = unquote(line.slice(eq + 1).trim());
  }
  return env;
}

/**
 * ExecStart's argv: `${VAR}` becomes one word, a word that is exactly `$VAR` becomes the variable's
 * whitespace-separated words (none when unset or empty). Quoting and special prefixes are refused:
 * the units this is used on have neither.
 */
export function execArgv(execStart: string, env: Record<string, string>): string[] {
  if (/^[-@:+!]/.test(execStart) || /["'\\]/.test(execStart)) throw new Error(`ExecStart uses prefixes or quoting this parser does not model: ${execStart}`);
  const argv: string[] = [];
  for (const word of execStart.split(/\s+/).filter(Boolean)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      argv.push(...(env[whole[1]!] ?? "").split(/\s+/).filter(Boolean));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? ""));
  }
  return argv;
}
