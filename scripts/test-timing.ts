// Per-file wall time of a `bun test` run, which bun itself does not print (docs/development.md#ci-and-the-npm-test-pipeline).
//   record OUT        read bun's output on stdin; write "<epoch ms> <file>" at each file header, "<epoch ms> END" at the end
//   report OUT...     print the slowest files and each lane's total from recorded files
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const FILE_HEADER = /^(test\/\S+\.test\.ts):$/;

async function record(out: string): Promise<void> {
  writeFileSync(out, "");
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Bun.stdin.stream()) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const header = FILE_HEADER.exec(line.trim());
      if (header) appendFileSync(out, `${Date.now()} ${header[1]}\n`);
    }
  }
  appendFileSync(out, `${Date.now()} END\n`);
}

interface FileTime {
  file: string;
  seconds: number;
}

/** A file's time runs from its header to the next header (bun prints a header with the file's first output). */
function durations(path: string): { files: FileTime[]; totalSeconds: number } {
  const marks = readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((line) => {
    const space = line.indexOf(" ");
    return { at: Number(line.slice(0, space)), what: line.slice(space + 1) };
  });
  const files: FileTime[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const mark = marks[i]!;
    if (mark.what !== "END") files.push({ file: mark.what, seconds: (marks[i + 1]!.at - mark.at) / 1000 });
  }
  const totalSeconds = marks.length > 1 ? (marks.at(-1)!.at - marks[0]!.at) / 1000 : 0;
  return { files, totalSeconds };
}

function report(paths: string[]): void {
  const all: FileTime[] = [];
  for (const path of paths.filter((p) => existsSync(p))) {
    const { files, totalSeconds } = durations(path);
    console.log(`${basename(path)}: ${files.length} files in ${totalSeconds.toFixed(0)} s`);
    all.push(...files);
  }
  for (const { file, seconds } of all.sort((a, b) => b.seconds - a.seconds).slice(0, 12)) {
    console.log(`${seconds.toFixed(0).padStart(6)} s  ${file}`);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === "record" && args[0]) await record(args[0]);
else if (command === "report") report(args);
else {
  console.error("usage: test-timing.ts record OUT | report OUT...");
  process.exit(2);
}
