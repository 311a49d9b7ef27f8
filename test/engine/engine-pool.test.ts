// runPool shares work among DuckDB connections in the flatten stage. What it must guarantee:
// every item runs once, on one worker at a time per worker, and a failure is thrown only after
// every COPY in flight has ended (the caller then drops the table those COPYs read).
import { describe, expect, it } from "vitest";
import { runPool } from "../../engine/lake.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runPool", () => {
  it("runs each item once, in order of taking, never two at once on one worker", async () => {
    const busy = new Set<string>();
    const ran: [number, string][] = [];
    await runPool(["a", "b"], [30, 5, 5, 5, 20, 1], async (ms, w) => {
      expect(busy.has(w)).toBe(false);
      busy.add(w);
      await sleep(ms);
      ran.push([ms, w]);
      busy.delete(w);
    });
    expect(ran.map(([ms]) => ms).sort((x, y) => x - y)).toEqual([1, 5, 5, 5, 20, 30]);
    // "a" is busy for 30 ms with the first item, so "b" takes the next four.
    expect(ran.filter(([, w]) => w === "b").length).toBeGreaterThanOrEqual(4);
  });

  it("after a failure starts nothing new and throws once the items in flight have ended", async () => {
    const events: string[] = [];
    const run = runPool(["a", "b"], ["slow", "fails", "never"], async (item) => {
      events.push(`start ${item}`);
      if (item === "fails") throw new Error("COPY failed");
      await sleep(40);
      events.push(`end ${item}`);
    });
    await expect(run).rejects.toThrow("COPY failed");
    expect(events).toEqual(["start slow", "start fails", "end slow"]);
  });

  it("uses no more workers than there are items, and none for no items", async () => {
    const used = new Set<number>();
    await runPool([1, 2, 3, 4], ["x"], async (_item, w) => void used.add(w));
    expect([...used]).toEqual([1]);
    await runPool([1, 2], [], async () => {
      throw new Error("not called");
    });
  });
});
