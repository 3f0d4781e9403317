// Tests run the built module (build/process_order.wasm) on the ferrite-wasm simulator, under
// the capabilities and limits ferrite.toml grants it, against an in-memory keyspace seeded
// per test. `ferrite-wasm test` rebuilds the module first when a source changed.
import { beforeEach, describe, expect, test } from "vitest";
import { loadProject, type Project } from "ferrite-wasm/project";
import { json, writes } from "ferrite-wasm/testing";

let project: Project;
beforeEach(async () => {
  project = await loadProject(new URL("..", import.meta.url));
  seed({
    "user:7": { id: "7", name: "Ada", membership: "premium" },
    "user:8": { id: "8", name: "Grace", membership: "standard" },
  });
});

function seed(data: Record<string, object>) {
  for (const [key, value] of Object.entries(data)) project.store.set(key, JSON.stringify(value));
}

const order = (key: string) => JSON.parse(project.store.getString(key)!);

describe("process_order", () => {
  test("premium members get 15% off, and the order is written back", () => {
    seed({ "order:1": { id: "1", user_id: "7", items: [{ sku: "lamp", qty: 2, price: 60 }], total: 120 } });
    const result = project.call("process_order", "order:1");
    expect(json(result)).toEqual({ total: 102, discount: 0.15 });
    expect(writes(result).map(([key]) => key)).toEqual(["order:1"]);
    expect(order("order:1")).toEqual({ id: "1", user_id: "7", items: [{ sku: "lamp", qty: 2, price: 60 }], subtotal: 120, discount: 0.15, total: 102 });
  });

  test("other members get 10% off orders above 100, and nothing below", () => {
    seed({ "order:2": { id: "2", user_id: "8", total: 250 }, "order:3": { id: "3", user_id: "8", total: 100 } });
    expect(json(project.call("process_order", "order:2"))).toEqual({ total: 225, discount: 0.1 });
    expect(json(project.call("process_order", "order:3"))).toEqual({ total: 100, discount: 0 });
  });

  test("processing twice gives the same total (the discount applies to the subtotal)", () => {
    seed({ "order:4": { id: "4", user_id: "7", total: 99.99 } });
    const first = json(project.call("process_order", "order:4"));
    expect(json(project.call("process_order", "order:4"))).toEqual(first);
    expect(first).toEqual({ total: 84.99, discount: 0.15 });
  });

  test("a missing order or user fails the call and writes nothing", () => {
    seed({ "order:5": { id: "5", user_id: "404", total: 50 } });
    const before = project.store.toObject();
    const noOrder = project.call("process_order", "order:nope");
    expect(noOrder.ok).toBe(false);
    expect(noOrder.error?.message).toBe("order 'order:nope' not found");
    const noUser = project.call("process_order", "order:5");
    expect(noUser.error?.message).toBe("user 'user:404' of order 'order:5' not found");
    expect(project.store.toObject()).toEqual(before);
  });

  test("needs exactly one argument", () => {
    expect(project.call("process_order").error?.message).toMatch(/one argument/);
  });

  test("as WASM.CALLREAD the write is refused and the order is unchanged", () => {
    seed({ "order:6": { id: "6", user_id: "7", total: 10 } });
    const result = project.callRead("process_order", "order:6");
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/attempted a write in WASM.CALLREAD/);
    expect(order("order:6")).toEqual({ id: "6", user_id: "7", total: 10 });
  });

  test("is granted read and write, not delete", () => {
    expect(project.rt.info("process_order").capabilities).toEqual(["read", "write"]);
  });
});
