// WASM.SLOWLOG: calls at least slowlog-log-slower-than µs long, kept and shown as Redis's SLOWLOG,
// arguments truncated exactly as a real redis-server truncates them.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Redis } from "ioredis";
import { FerriteClient } from "../../../server/client.js";
import { slowlogArgs } from "../../../server/observability/index.js";
import { buildFixture } from "../../helpers/asc.js";
import { startRedis, type RedisProcess } from "../../helpers/redis.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../../helpers/server.js";

let t: TestServer;
let client: FerriteClient;
let redis: RedisProcess;
beforeAll(async () => {
  [t, redis] = await Promise.all([startTestServer({ wasm: { default_timeout_ms: 50 } }), startRedis()]);
  client = new FerriteClient(t.server.url);
  await client.wasmLoadB("echo", ECHO_WASM);
  await client.wasmLoadB("loop", (await buildFixture("loop")).wasm);
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await Promise.all([t?.close(), redis?.stop()]);
});

describe("WASM.SLOWLOG", () => {
  test("the settings are Redis's, with Redis's defaults", async () => {
    expect(await t.cli(["CONFIG", "GET", "slowlog-*"])).toBe("slowlog-log-slower-than\n10000\nslowlog-max-len\n128");
  });

  test("a call that times out is logged by its duration, with the command and the client", async () => {
    await client.wasmSlowlogReset();
    await client.redis.call("CLIENT", "SETNAME", "worker-7");
    await expect(client.wasmCall("loop", ["spin"])).rejects.toThrow(/timed out after 50 ms/);
    const [entry] = await client.wasmSlowlogGet();
    expect(entry.args).toEqual(["WASM.CALL", "loop", "spin"]);
    expect(entry.duration_us).toBeGreaterThanOrEqual(50_000);
    expect(entry.name).toBe("worker-7");
    const local = await client.redis.call("CLIENT", "INFO");
    expect(String(local)).toContain(`addr=${entry.addr} `);
    expect(Math.abs(entry.time - Date.now() / 1000)).toBeLessThan(3600); // unix seconds, not ms
    expect(await client.wasmSlowlogLen()).toBe(1);
  });

  test("0 logs every call, a negative threshold none; GET n, -1, LEN, RESET and ids as Redis", async () => {
    await t.cli(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    await client.wasmSlowlogReset();
    for (const arg of ["a", "b", "c"]) await client.wasmCall("echo", [arg]);
    const all = await client.wasmSlowlogGet(-1);
    expect(all.map((e) => e.args[2])).toEqual(["c", "b", "a"]); // newest first
    expect(all[0].id - all[1].id).toBe(1);
    expect((await client.wasmSlowlogGet(2)).map((e) => e.args[2])).toEqual(["c", "b"]);
    const lastId = all[0].id;
    await client.wasmSlowlogReset();
    expect(await client.wasmSlowlogLen()).toBe(0);
    await client.wasmCall("echo", ["d"]);
    expect((await client.wasmSlowlogGet())[0].id).toBe(lastId + 1); // RESET keeps the numbering
    await t.cli(["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    await client.wasmCall("echo", ["e"]);
    expect(await client.wasmSlowlogLen()).toBe(1);
    await t.cli(["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
  });

  test("slowlog-max-len bounds it, and lowering it trims what is kept", async () => {
    await t.cli(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    await client.wasmSlowlogReset();
    for (let i = 0; i < 5; i++) await client.wasmCall("echo", [String(i)]);
    await t.cli(["CONFIG", "SET", "slowlog-max-len", "2"]);
    expect((await client.wasmSlowlogGet(-1)).map((e) => e.args[2])).toEqual(["4", "3"]);
    await client.wasmCall("echo", ["5"]);
    expect((await client.wasmSlowlogGet(-1)).map((e) => e.args[2])).toEqual(["5", "4"]);
    await t.cli(["CONFIG", "SET", "slowlog-max-len", "128", "slowlog-log-slower-than", "10000"]);
  });

  test("arguments are truncated exactly as redis-server truncates them (32 arguments, 128 bytes)", async () => {
    const long = "x".repeat(200);
    const many = Array.from({ length: 40 }, (_, i) => (i === 3 ? long : `a${i}`));
    // The real thing: redis-server's own slow log of RPUSH with the same argument count and sizes.
    const r = new Redis(redis.url);
    try {
      await r.config("SET", "slowlog-log-slower-than", "0");
      await r.slowlog("RESET");
      await r.call("RPUSH", "k", ...many);
      const [redisEntry] = (await r.call("SLOWLOG", "GET", "1")) as [number, number, number, string[]][];
      await t.cli(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
      await client.wasmSlowlogReset();
      await client.wasmCall("echo", many); // WASM.CALL echo <40 args>: 42 arguments, as RPUSH k <40 args>
      const [ours] = await client.wasmSlowlogGet(1);
      const theirs = redisEntry[3];
      expect(ours.args.length).toBe(theirs.length);
      expect(ours.args.slice(2)).toEqual(theirs.slice(2));
      expect(ours.args.at(-1)).toBe("... (11 more arguments)");
      expect(ours.args[5]).toBe(`${"x".repeat(128)}... (72 more bytes)`);
    } finally {
      await t.cli(["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
      r.disconnect();
    }
  });

  test("exactly 32 arguments are kept whole; binary bytes are kept as bytes", () => {
    const args = Array.from({ length: 32 }, (_, i) => Buffer.from(String(i)));
    expect(slowlogArgs(args).map(String)).toEqual(args.map(String));
    const bin = Buffer.from([0xff, 0x00, 0x0a]);
    expect(slowlogArgs([bin])[0].equals(bin)).toBe(true);
  });
});
