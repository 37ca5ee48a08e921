/** Captures a process's output (ring buffer + file) so a failing test can show it and scan it for secrets. */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

const RING_SIZE = 2_000;

export class LogCapture {
  readonly lines: string[] = [];
  readonly #file: string | undefined;
  readonly #waiters = new Set<{ predicate: (line: string) => boolean; resolve: (line: string) => void }>();
  #partial = "";

  constructor(file?: string) {
    this.#file = file;
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  /** A pino destination: `createLogger({ destination: capture })`. */
  write(chunk: string): void {
    if (this.#file) appendFileSync(this.#file, chunk);
    const text = this.#partial + chunk;
    const parts = text.split("\n");
    this.#partial = parts.pop() ?? "";
    for (const line of parts) this.#push(line);
  }

  waitFor(predicate: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const found = this.lines.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`log line not seen after ${timeoutMs / 1000}s; last lines:\n${this.tail(20)}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  tail(count = 100): string {
    return this.lines.slice(-count).join("\n");
  }

  /** Fails when any captured line contains one of `secrets` (tokens, keys, Secret values). */
  assertNoSecrets(secrets: readonly string[]): void {
    for (const secret of secrets) {
      if (secret.length < 4) throw new Error("assertNoSecrets: refuse to scan for a value shorter than 4 characters");
      const leaked = this.lines.findIndex((line) => line.includes(secret));
      if (leaked >= 0) throw new Error(`secret material appears in captured output at line ${leaked + 1}`);
    }
  }

  #push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > RING_SIZE) this.lines.splice(0, this.lines.length - RING_SIZE);
    for (const waiter of [...this.#waiters]) {
      if (waiter.predicate(line)) {
        this.#waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }
}

/** Parses a pino JSON line; undefined for anything else. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(line);
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
