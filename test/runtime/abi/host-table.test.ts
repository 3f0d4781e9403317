// Every ABI v1 host function, its capability, and what a bad pointer to it does.
import { describe, expect, test } from "vitest";
import { MemoryStore, type Capability } from "../../../runtime-sim/index.js";
import { hostWat, testRuntime, u32, utf8 } from "../../helpers/runtime.js";

const USES: Array<[string, Capability | null]> = [
  ["get", "read"],
  ["exists", "read"],
  ["set", "write"],
  ["del", "delete"],
  ["log", "log"],
  ["now", "time"],
  ["random", "random"],
  ["http", "http"],
  ["arg", null],
  ["arg_count", null],
];

async function loaded(capabilities: (Capability | "all")[], store = new MemoryStore()) {
  const { rt, clock } = testRuntime({ store, httpAllowedHosts: ["127.0.0.1:1"], http: (req) => ({ status: 200, headers: {}, body: `hello ${req.url}` }) });
  for (const [name] of USES) await rt.load(`use_${name}`, hostWat, { capabilities });
  return { rt, clock, store };
}

describe("host functions with their capability", () => {
  test("ferrite_get returns a [u32 len][bytes] block, 0 for a missing key", async () => {
    const { rt, store } = await loaded(["read"]);
    expect(rt.call("use_get").value).toBeNull();
    store.set("k", "välue 😀");
    expect(utf8(rt.call("use_get").value)).toBe("välue 😀");
  });

  test("ferrite_exists, ferrite_set, ferrite_del", async () => {
    const { rt, store } = await loaded(["read", "write", "delete"]);
    expect(u32(rt.call("use_exists").value)).toBe(0);
    expect(u32(rt.call("use_set").value)).toBe(0);
    expect(store.getString("k")).toBe("v");
    expect(u32(rt.call("use_exists").value)).toBe(1);
    expect(u32(rt.call("use_del").value)).toBe(1);
    expect(u32(rt.call("use_del").value)).toBe(0);
    expect(store.get(Buffer.from("k"))).toBeNull();
  });

  test("ferrite_log, ferrite_now, ferrite_random use the injected sources", async () => {
    const { rt, clock } = await loaded(["log", "time", "random"]);
    const log = rt.call("use_log");
    expect(log.logs).toEqual([{ function: "use_log", level: "info", message: "hi", time: clock() }]);
    expect(Buffer.from(rt.call("use_now").value!).readBigInt64LE(0)).toBe(BigInt(clock()));
    const r = Buffer.from(rt.call("use_random").value!).readDoubleLE(0);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThan(1);
  });

  test("ferrite_http goes through the allow-list to the handler", async () => {
    const { rt } = await loaded(["http"]);
    expect(JSON.parse(utf8(rt.call("use_http").value)!)).toEqual({ status: 200, headers: {}, body: "hello http://127.0.0.1:1/" });
  });

  test("ferrite_arg and ferrite_arg_count are exact and binary-safe", async () => {
    const { rt } = await loaded([]);
    const bin = new Uint8Array([0, 10, 255, 13]);
    expect(u32(rt.call("use_arg_count", ["a", "b\nc", bin]).value)).toBe(3);
    expect(utf8(rt.call("use_arg", ["1", "b\nc"]).value)).toBe("b\nc");
    expect([...rt.call("use_arg", ["2", "x", bin]).value!]).toEqual([...bin]);
    expect(rt.call("use_arg", ["7"]).value).toBeNull();
  });

  test("host calls are recorded for tests", async () => {
    const { rt } = await loaded(["read", "write"]);
    expect(rt.call("use_set").hostCalls.map((h) => h.name)).toEqual(["ferrite_set", "ferrite_return"]);
  });
});

describe("each capability missing in turn fails the call", () => {
  for (const [name, cap] of USES) {
    if (cap === null) continue;
    test(`${cap} (${name})`, async () => {
      const { rt, store } = await loaded(["read", "write", "delete", "log", "time", "random", "http"].filter((c) => c !== cap) as Capability[]);
      store.set("k", "before");
      const r = rt.call(`use_${name}`);
      expect(r.ok).toBe(false);
      expect(r.error!.code).toBe("ERR_CAPABILITY");
      expect(r.error!.reply).toBe(`NOCAP function 'use_${name}' lacks capability '${cap}' (ferrite_${name})`);
      expect(store.getString("k")).toBe("before");
    });
  }

  test("'all' grants every capability", async () => {
    const { rt } = await loaded(["all"]);
    for (const [name] of USES) expect(rt.call(`use_${name}`, ["0"]).ok, name).toBe(true);
  });
});

describe("a pointer past the end of memory fails the call, never the host", () => {
  for (const name of ["get", "exists", "set", "del", "return", "error", "log", "http"]) {
    test(`ferrite_${name}`, async () => {
      const { rt } = testRuntime();
      await rt.load(`oob_${name}`, hostWat, { capabilities: ["all"] });
      const r = rt.call(`oob_${name}`);
      expect(r.ok).toBe(false);
      expect(r.error!.code).toBe("ERR_BOUNDS");
      expect(r.error!.message).toMatch(new RegExp(`function 'oob_${name}' passed an out-of-bounds pointer to ferrite_${name} \\(ptr=\\d+, len=\\d+, memory is 65536 bytes\\)`));
      expect(r.writes).toEqual([]);
      await rt.load("use_get", hostWat, { capabilities: ["read"] });
      expect(rt.call("use_get").ok).toBe(true); // the runtime goes on serving
    });
  }
});

describe("WASM.CALLREAD", () => {
  test("a write fails the call whatever the capabilities", async () => {
    const { rt, store } = testRuntime();
    await rt.load("read_then_write", hostWat, { capabilities: ["all"] });
    const r = rt.callRead("read_then_write");
    expect(r.error!.reply).toBe("NOWRITE function 'read_then_write' attempted a write in WASM.CALLREAD");
    expect(store.get(Buffer.from("k"))).toBeNull();
    expect(rt.call("read_then_write").ok).toBe(true);
  });

  test("reads are fine", async () => {
    const { rt } = testRuntime();
    await rt.load("use_get", hostWat, { capabilities: ["read"] });
    expect(rt.callRead("use_get").ok).toBe(true);
  });
});
