// The ABI v1 rules and failure modes again, with real AssemblyScript guests built by asc with the SDK.
import { beforeAll, describe, expect, test } from "vitest";
import { MemoryStore, type Capability } from "../../runtime-sim/index.js";
import { json, text } from "../../runtime-sim/testing.js";
import { buildFixture } from "../helpers/asc.js";
import { testRuntime } from "../helpers/runtime.js";

const names = ["echo", "validate", "keys", "args", "utf8", "log", "timeRandom", "counter", "recurse", "membomb", "abort", "writer-fails", "oob", "http"] as const;
const wasm: Record<string, Uint8Array> = {};
beforeAll(async () => {
  for (const n of names) wasm[n] = (await buildFixture(n)).wasm;
});

async function guest(name: (typeof names)[number], capabilities: (Capability | "all")[] = [], options: Parameters<typeof testRuntime>[0] = {}, memory?: string) {
  const env = testRuntime(options);
  await env.rt.load(name, wasm[name], { capabilities, memory });
  return env;
}

describe("SDK guests on the runtime", () => {
  test("validate: the spec's example", async () => {
    const { rt } = await guest("validate");
    expect(json(rt.call("validate", ['{"email": "test@example.com"}']))).toEqual({ valid: true });
    expect(json(rt.call("validate", ['{"email": "nope"}']))).toEqual({ valid: false });
  });

  test("UTF-8 round trip, non-ASCII and emoji, through args, keys, log and return", async () => {
    const { rt, store } = await guest("utf8", ["read", "write", "log"]);
    for (const s of ["héllo wörld", "日本語テキスト", "😀👍🏽🧑‍🚀", "mixed é😀x\u0000end", "𝄞 surrogate pairs 🎉"]) {
      const r = rt.call("utf8", [s]);
      expect(text(r)).toBe(s);
      expect(r.logs.map((l) => l.message)).toContain(s);
      expect(store.getString(`utf8:${s}`)).toBe(s);
    }
  });

  test("exact binary-safe arguments", async () => {
    const { rt } = await guest("args");
    const r = json<{ count: number; hex: string[]; text: string[]; past: boolean }>(rt.call("args", ["a b", "x\ny", new Uint8Array([0, 255])]));
    expect(r.count).toBe(3);
    expect(r.hex).toEqual(["612062", "780a79", "00ff"]);
    expect(r.past).toBe(true);
  });

  test("keys: a call sees its own writes; capabilities per operation", async () => {
    const { rt, store } = await guest("keys", ["read", "write", "delete"]);
    expect(json(rt.call("keys", ["set", "a", "1", "get", "a", "del", "a", "exists", "a"]))).toEqual(["OK", "1", "1", "0"]);
    expect(store.size).toBe(0);
    await rt.update("keys", { capabilities: ["read"] });
    expect(rt.call("keys", ["set", "a", "1"]).error!.reply).toBe("NOCAP function 'keys' lacks capability 'write' (ferrite_set)");
    expect(rt.callRead("keys", ["get", "a"]).ok).toBe(true);
    await rt.update("keys", { capabilities: ["all"] });
    expect(rt.callRead("keys", ["get", "a", "set", "a", "2"]).error!.reply).toBe("NOWRITE function 'keys' attempted a write in WASM.CALLREAD");
    expect(store.size).toBe(0);
  });

  test("a failed call that wrote three keys leaves none", async () => {
    const { rt, store } = await guest("writer-fails", ["write"]);
    const r = rt.call("writer-fails");
    expect(r.error!.reply).toBe("FUNCERR failed after writing 3 keys");
    expect(r.writes).toHaveLength(3);
    expect(store.size).toBe(0);
  });

  test("log at each level, with the injected clock", async () => {
    const { rt, clock } = await guest("log", ["log"]);
    const r = rt.call("log");
    expect(r.logs.map((l) => [l.level, l.message, l.time])).toEqual(
      ["trace", "debug", "info", "warn", "error"].map((level) => [level, `${level} message`, clock()]),
    );
  });

  test("now and random come from the injected sources", async () => {
    const { rt, clock } = await guest("timeRandom", ["time", "random"]);
    const a = json<{ now: number; random: number }>(rt.call("timeRandom"));
    expect(a.now).toBe(clock());
    clock.advance(1500);
    const b = json<{ now: number; random: number }>(rt.call("timeRandom"));
    expect(b.now).toBe(a.now + 1500);
    expect(b.random).not.toBe(a.random);
    expect(a.random).toBeGreaterThanOrEqual(0);
    expect(a.random).toBeLessThan(1);
  });

  test("a global counter does not persist between calls", async () => {
    const { rt } = await guest("counter");
    expect([1, 2, 3].map(() => text(rt.call("counter")))).toEqual(["1,1", "1,1", "1,1"]);
  });

  test("deep recursion traps, and the next call works", async () => {
    const { rt } = await guest("recurse");
    expect(rt.call("recurse").error!.reply).toBe("TRAP function 'recurse' trapped: call stack exhausted (unbounded or too deep recursion)");
    await rt.load("echo", wasm.echo);
    expect(text(rt.call("echo", ["after"]))).toBe("after");
  });

  test("a memory bomb under MEMORY 1MB fails with the memory-limit message", async () => {
    const { rt } = await guest("membomb", [], {}, "1MB");
    const r = rt.call("membomb");
    expect(r.error!.reply).toBe("MEMORY function 'membomb' exceeded its memory limit of 1MB");
    expect(rt.stats("membomb").memory_used_bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(rt.call("membomb").error!.code).toBe("ERR_MEMORY"); // and again, from a fresh instance
  });

  test("abort, assert and index errors carry the AssemblyScript position", async () => {
    const { rt } = await guest("abort");
    expect(rt.call("abort", ["throw"]).error!.reply).toBe("FUNCERR something went wrong at test/fixtures/abort.ts:11:5");
    expect(rt.call("abort", ["assert"]).error!.reply).toBe("FUNCERR value must be positive at test/fixtures/abort.ts:13:5");
    expect(rt.call("abort", ["index"]).error!.reply).toMatch(/^FUNCERR Index out of range at ~lib\/array\.ts:\d+:\d+$/);
  });

  for (const fn of ["get", "set", "del", "exists", "return", "error", "log", "http"]) {
    test(`an out-of-bounds pointer to ferrite_${fn} fails the call (also when ptr + len wraps)`, async () => {
      const { rt } = await guest("oob", ["all"]);
      for (const extra of [[], ["wrap"]]) {
        const r = rt.call("oob", [fn, ...extra]);
        expect(r.error!.code, `${fn} ${extra}`).toBe("ERR_BOUNDS");
        expect(r.error!.message).toContain(`out-of-bounds pointer to ferrite_${fn}`);
      }
    });
  }

  test("http: a mocked handler answers allow-listed hosts; others are refused", async () => {
    const seen: string[] = [];
    const { rt } = await guest("http", ["http"], {
      httpAllowedHosts: ["api.example.com"],
      http: (req) => {
        seen.push(`${req.method} ${req.url} ${req.body}`);
        return { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' };
      },
    });
    expect(json(rt.call("http"))).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(seen).toEqual(['POST https://api.example.com/echo {"hello":"world"}']);
    const refused = json<{ status: number; error: string }>(rt.call("http", ["http://evil.example.net/"]));
    expect(refused.status).toBe(0);
    expect(refused.error).toMatch(/not in the http allow-list/);
    expect(seen).toHaveLength(1);
  });

  test("the runtime's store is binary-safe through getBytes/setBytes", async () => {
    const store = new MemoryStore();
    store.set(Buffer.from([0xff, 0]), "x");
    const { rt } = await guest("keys", ["read", "write"], { store });
    expect(json(rt.call("keys", ["set", "k", "v", "getBytes", "k"]))).toEqual(["OK", "76"]);
  });
});
