/** Where a generated file and its committed copy part: the first differing line, for `--check` messages. */
export function firstDifference(expected: string, actual: string): string {
  const want = expected.split("\n");
  const have = actual.split("\n");
  const line = want.findIndex((text, index) => text !== have[index]);
  const at = line < 0 ? want.length : line;
  const show = (text: string | undefined) => JSON.stringify(text ?? "<end of file>");
  return `differs from line ${at + 1} (expected ${show(want[at])}, found ${show(have[at])})`;
}
