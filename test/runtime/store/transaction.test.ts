import { describe, expect, test } from "vitest";
import { MemoryStore } from "../../../runtime-sim/index.js";
import { Transaction } from "../../../runtime-sim/store/transaction.js";
import { manualClock } from "../../../runtime-sim/testing.js";

const b = (s: string) => new Uint8Array(Buffer.from(s));

describe("store and transaction", () => {
  test("keys and values are binary-safe", () => {
    const s = new MemoryStore();
    const key = new Uint8Array([0, 255, 10, 128]);
    s.apply([{ key, value: new Uint8Array([1, 0, 2]) }]);
    expect([...s.get(new Uint8Array([0, 255, 10, 128]))!]).toEqual([1, 0, 2]);
    expect(s.get(new Uint8Array([0, 255, 10]))).toBeNull();
  });

  test("a transaction sees its own writes and commits them at once", () => {
    const s = new MemoryStore();
    s.set("a", "1");
    const tx = new Transaction(s);
    tx.set(b("b"), b("2"));
    expect(tx.del(b("a"))).toBe(true);
    expect(tx.exists(b("a"))).toBe(false);
    expect(Buffer.from(tx.get(b("b"))!).toString()).toBe("2");
    expect(s.toObject()).toEqual({ a: "1" });
    tx.commit();
    expect(s.toObject()).toEqual({ b: "2" });
  });

  test("expiry follows the injected clock", () => {
    const clock = manualClock();
    const s = new MemoryStore({ clock });
    s.set("t", "x", 1000);
    clock.advance(999);
    expect(s.exists(b("t"))).toBe(true);
    clock.advance(1);
    expect(s.exists(b("t"))).toBe(false);
  });
});
