/** Predicates over the operator's JSON log lines. */

/** A log line that reports a 403 or Forbidden; the timestamp is left out (its milliseconds can read "403"). */
export function mentionsForbidden(line: string): boolean {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return /\b403\b|Forbidden/.test(line);
  }
  const { time: _time, ...rest } = fields;
  return /\b403\b|Forbidden/.test(JSON.stringify(rest));
}
