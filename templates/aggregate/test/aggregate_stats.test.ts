// Tests run the built module (build/aggregate_stats.wasm) on the ferrite-wasm simulator, under
// the capabilities and limits ferrite.toml grants it, against an in-memory keyspace.
// `ferrite-wasm test` rebuilds the module first when a source changed.
import { beforeEach, describe, expect, test } from "vitest";
import { loadProject, type Project } from "ferrite-wasm/project";
import { json } from "ferrite-wasm/testing";

interface Stats {
  sum: number;
  count: number;
  avg: number;
}

let project: Project;
beforeEach(async () => {
  project = await loadProject(new URL("..", import.meta.url));
  for (const [key, value] of Object.entries({ "price:1": "10", "price:2": "20.5", "price:3": "30", label: "n/a", neg: "-4e1" })) {
    project.store.set(key, value);
  }
});

const aggregate = (...keys: string[]) => json<Stats>(project.call("aggregate_stats", ...keys));

describe("aggregate_stats", () => {
  test("sums, counts and averages the numbers at the given keys", () => {
    expect(aggregate("price:1", "price:2", "price:3")).toEqual({ sum: 60.5, count: 3, avg: 60.5 / 3 });
  });

  test("skips missing keys and values that are not numbers", () => {
    expect(aggregate("price:1", "label", "nope", "neg")).toEqual({ sum: -30, count: 2, avg: -15 });
    project.store.set("partly", "12abc");
    expect(aggregate("partly")).toEqual({ sum: 0, count: 0, avg: 0 });
  });

  test("no keys: zeros, not NaN", () => {
    expect(aggregate()).toEqual({ sum: 0, count: 0, avg: 0 });
  });

  test("only reads: it works as WASM.CALLREAD and changes nothing", () => {
    const before = project.store.toObject();
    const result = project.callRead("aggregate_stats", "price:1", "price:3");
    expect(json(result)).toEqual({ sum: 40, count: 2, avg: 20 });
    expect(result.writes).toEqual([]);
    expect(project.store.toObject()).toEqual(before);
  });

  test("is granted read and nothing else", () => {
    expect(project.rt.info("aggregate_stats").capabilities).toEqual(["read"]);
  });
});
