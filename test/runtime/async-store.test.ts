// Calls over a store that answers asynchronously (what the server's Redis store is): a run stops at
// the first key it lacks, the key is fetched, and the call runs again with time, random and http
// answers replayed; the commit checks what the call read. The store here is a real, complete
// AsyncStore over a MemoryStore; `other` plays a second writer that changes keys between a call's
// read and its commit.
import { describe, expect, test } from "vitest";
import { createRuntime, MemoryStore, type HttpRequest, type HttpResponse, type KeyWrite } from "../../runtime-sim/index.js";
import type { AsyncStore, ReadEntry } from "../../runtime-sim/host.js";
import { wat } from "../helpers/wat.js";

const te = new TextEncoder();
const eq = (a: Uint8Array | null, b: Uint8Array | null) => (a === null || b === null ? a === b : Buffer.from(a).equals(Buffer.from(b)));

class MemoryAsyncStore implements AsyncStore {
  readonly async = true;
  reads = 0;
  commits = 0;
  constructor(
    readonly mem = new MemoryStore(),
    /** Runs before each commit is checked: another client's write. */
    readonly other?: () => void,
  ) {}
  async read(keys: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    await new Promise((r) => setImmediate(r));
    this.reads++;
    return keys.map((k) => this.mem.get(k));
  }
  async commit(reads: ReadEntry[], writes: readonly KeyWrite[]): Promise<(Uint8Array | null)[] | null> {
    await new Promise((r) => setImmediate(r));
    this.commits++;
    this.other?.();
    if (reads.some((r) => !eq(this.mem.get(r.key), r.value))) return reads.map((r) => this.mem.get(r.key));
    this.mem.apply(writes);
    return null;
  }
}

/** now, random, optional http, then get(arg): returns "<now>|<value>". */
const PROBE = wat(`(module
  (import "env" "ferrite_now" (func $now (result i64)))
  (import "env" "ferrite_random" (func $random (result f64)))
  (import "env" "ferrite_http" (func $http (param i32 i32) (result i32)))
  (import "env" "ferrite_get" (func $get (param i32 i32) (result i32)))
  (import "env" "ferrite_set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "env" "ferrite_return" (func $return (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\\"url\\":\\"http://api.test/x\\"}")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "ferrite_alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
  ;; probe key: now, random, get key; returns the value's bytes after 8 bytes of now
  (func (export "probe") (param $p i32) (param $l i32) (result i32)
    (local $b i32)
    (i64.store (i32.const 512) (call $now))
    (drop (call $random))
    (local.set $b (call $get (local.get $p) (local.get $l)))
    (if (local.get $b) (then (memory.copy (i32.const 520) (i32.add (local.get $b) (i32.const 4)) (i32.load (local.get $b)))))
    (call $return (i32.const 512) (i32.add (i32.const 8) (select (i32.load (local.get $b)) (i32.const 0) (local.get $b))))
    (i32.const 0))
  ;; fetch key: http first, then get key, then set key to the http answer's first byte count
  (func (export "fetch") (param $p i32) (param $l i32) (result i32)
    (local $h i32) (local $b i32)
    (local.set $h (call $http (i32.const 16) (i32.const 27)))
    (local.set $b (call $get (local.get $p) (local.get $l)))
    (drop (call $set (local.get $p) (local.get $l) (i32.add (local.get $h) (i32.const 4)) (i32.load (local.get $h))))
    (i32.const 0))
  ;; bump key: read-modify-write of one byte
  (func (export "bump") (param $p i32) (param $l i32) (result i32)
    (local $b i32)
    (local.set $b (call $get (local.get $p) (local.get $l)))
    (i32.store8 (i32.const 600) (i32.add (i32.const 1) (select (i32.load8_u (i32.add (local.get $b) (i32.const 4))) (i32.const 48) (local.get $b))))
    (drop (call $set (local.get $p) (local.get $l) (i32.const 600) (i32.const 1)))
    (i32.const 0)))`);

describe("calls over an async store", () => {
  test("a run that lacks a key stops, the key is fetched, and the re-run replays time and random", async () => {
    const store = new MemoryAsyncStore();
    store.mem.set("k", "hello");
    let clock = 1000;
    let randoms = 0;
    const rt = createRuntime({ asyncStore: store, clock: () => clock++, random: () => (randoms++, 0.5) });
    await rt.load("probe", PROBE, { capabilities: ["read", "time", "random"] });
    const r = await rt.callAsync("probe", ["k"]);
    expect(r.ok).toBe(true);
    const value = Buffer.from(r.value!);
    expect(value.readBigInt64LE(0)).toBe(1000n); // the first run's time, replayed in the second
    expect(value.subarray(8).toString()).toBe("hello");
    expect(randoms).toBe(1); // asked once, though the entry ran twice
    expect(store.reads).toBe(1);
    expect(store.commits).toBe(0); // read-only and one snapshot: nothing to check
    expect(rt.call("probe", ["k"]).error?.message).toMatch(/answers asynchronously; call 'probe' with callAsync/);
  });

  test("http is answered without blocking, once, and replayed in the runs after it", async () => {
    const store = new MemoryAsyncStore();
    const asked: HttpRequest[] = [];
    const rt = createRuntime({
      asyncStore: store,
      httpAllowedHosts: ["api.test"],
      httpAsync: async (request): Promise<HttpResponse> => {
        asked.push(request);
        await new Promise((r) => setTimeout(r, 5));
        return { status: 200, headers: {}, body: "pong" };
      },
    });
    await rt.load("fetch", PROBE, { capabilities: ["read", "write", "http"] });
    const r = await rt.callAsync("fetch", ["k"]);
    expect(r.ok).toBe(true);
    expect(asked.map((a) => a.url)).toEqual(["http://api.test/x"]);
    expect(JSON.parse(store.mem.getString("k")!)).toMatchObject({ status: 200, body: "pong" });
  });

  test("a conflicting writer makes the call run again on the current value; it commits once it holds", async () => {
    let interfere = 2;
    const store = new MemoryAsyncStore(undefined, () => {
      if (interfere-- > 0) store.mem.set("n", String(Number(store.mem.getString("n") ?? "0") + 1));
    });
    store.mem.set("n", "0");
    const rt = createRuntime({ asyncStore: store });
    await rt.load("bump", PROBE, { capabilities: ["read", "write"] });
    const r = await rt.callAsync("bump", ["n"]);
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(3);
    expect(store.mem.getString("n")).toBe("3"); // the other writer's two bumps, then this call's
  });

  test("a writer that always wins: the call fails with a contention error when its TIMEOUT ends, writing nothing", async () => {
    const store = new MemoryAsyncStore(undefined, () => store.mem.set("n", String(Number(store.mem.getString("n")) + 1)));
    store.mem.set("n", "0");
    const rt = createRuntime({ asyncStore: store });
    await rt.load("bump", PROBE, { capabilities: ["read", "write"], timeoutMs: 200 });
    const r = await rt.callAsync("bump", ["n"]);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("ERR_CONTENTION");
    expect(r.error?.reply).toMatch(/^CONFLICT function 'bump' could not commit: the keys it read kept changing under other writers \(\d+ attempts in its TIMEOUT of 200 ms\); nothing was written/);
    expect(Number(store.mem.getString("n"))).toBe(store.commits); // only the other writer's bumps
  });
});
