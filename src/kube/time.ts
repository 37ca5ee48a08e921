/**
 * Wire formats of Kubernetes timestamps. metav1.Time is serialised with second precision, so a
 * value written with milliseconds would read back different and defeat "skip unchanged" checks.
 */

/** metav1.Time: RFC 3339, seconds precision, UTC. */
export function formatTime(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** metav1.MicroTime (Events, Leases): RFC 3339 with six fractional digits. */
export function formatMicroTime(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
