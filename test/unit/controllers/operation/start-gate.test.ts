/** In-process serialization of start decisions (docs/operations.md#concurrency) under randomized scheduling. */
import { describe, expect, test } from "bun:test";
import { StartGate } from "../../../../src/controllers/operation/start-gate";
import { conflicts, holderOf, type QueueEntry } from "../../../../src/operations/conflicts";

const jitter = () => new Promise<void>((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)));

describe("StartGate", () => {
  test("two hundred rounds of conflicting candidates racing for one target never start two", async () => {
    for (let round = 0; round < 200; round++) {
      const gate = new StartGate();
      const names = ["u1", "u2", "m1", "r1"];
      const types = { u1: "Upgrade", u2: "Upgrade", m1: "Migration", r1: "Restore" } as const;
      let running = 0;
      let maxRunning = 0;
      await Promise.all(
        names.map(async (name) => {
          await jitter();
          await gate.serialize("ns/app", async () => {
            const siblings: QueueEntry[] = [...gate.started("ns/app")].map(([sibling, type]) => ({ name: sibling, type, creationTimestamp: "2026-01-01T00:00:00Z", standing: "running" }));
            await jitter();
            if (holderOf({ name, type: types[name as keyof typeof types], creationTimestamp: "2026-01-01T00:00:00Z" }, siblings)) return;
            running++;
            maxRunning = Math.max(maxRunning, running);
            gate.markStarted("ns/app", name, types[name as keyof typeof types]);
          });
        }),
      );
      expect(maxRunning).toBe(1);
      expect(running).toBe(1);
    }
    expect(conflicts("Upgrade", "Migration")).toBe(true);
  });

  test("different targets do not wait for each other; forget releases the mark", async () => {
    const gate = new StartGate();
    const order: string[] = [];
    let releaseA!: () => void;
    const a = gate.serialize("ns/a", () => new Promise<void>((resolve) => (releaseA = () => { order.push("a"); resolve(); })));
    await gate.serialize("ns/b", async () => void order.push("b"));
    releaseA();
    await a;
    expect(order).toEqual(["b", "a"]);
    gate.markStarted("ns/a", "x", "Backup");
    expect([...gate.started("ns/a").keys()]).toEqual(["x"]);
    gate.forget("ns/a", "x");
    expect(gate.started("ns/a").size).toBe(0);
  });
});
