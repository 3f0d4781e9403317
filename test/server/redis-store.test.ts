// store = "redis://...": the keyspace lives in a real redis-server started by the test. Functions
// read and write it through the synchronous bridge; their writes land in one MULTI/EXEC.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer } from "../../server/index.js";
import { freePort, HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe.skipIf(!HAVE_REDIS)("redis store", () => {
  let redis: RedisProcess;
  let t: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ server: { store: redis.url, store_timeout_ms: 1000 } });
    await t.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read", "write"]);
    await t.cli(["WASM.LOAD", "kv_set_fail", "kv.wasm", "CAPABILITIES", "write"]);
    await t.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
    await t.cli(["WASM.LOAD", "kv_copy", "kv.wasm", "CAPABILITIES", "read", "write"]);
    await t.cli(["WASM.LOAD", "kv_del", "kv.wasm", "CAPABILITIES", "delete"]);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  test("a function's writes are visible to redis-cli on the real Redis", async () => {
    expect(await t.cli(["WASM.CALL", "kv_set", "user:1", "ada", "user:2", "bob"])).toBe("OK");
    expect(await redis.cli(["MGET", "user:1", "user:2"])).toBe("ada\nbob");
  });

  test("functions read what other clients wrote, and their own writes", async () => {
    await redis.cli(["SET", "from-redis", "hello"]);
    expect(await t.cli(["WASM.CALL", "kv_get", "from-redis"])).toBe("hello");
    expect(await t.cli(["WASM.CALLREAD", "kv_get", "nope"])).toBe("");
    expect(await t.cli(["WASM.CALL", "kv_copy", "from-redis", "copy"])).toBe("hello");
    expect(await redis.cli(["GET", "copy"])).toBe("hello");
    expect(await t.cli(["WASM.CALL", "kv_del", "copy"])).toBe("");
    expect(await redis.cli(["EXISTS", "copy"])).toBe("0");
  });

  test("a failed call leaves the real Redis untouched", async () => {
    await redis.cli(["SET", "guarded", "before"]);
    expect(await t.cli(["WASM.CALL", "kv_set_fail", "guarded", "after", "fresh", "x"])).toBe("FUNCERR boom");
    expect(await redis.cli(["GET", "guarded"])).toBe("before");
    expect(await redis.cli(["EXISTS", "fresh"])).toBe("0");
  });

  test("a call's writes go in one MULTI/EXEC", async () => {
    const monitor = spawn("redis-cli", ["-p", String(redis.port), "MONITOR"]);
    let log = "";
    monitor.stdout.on("data", (d) => (log += d));
    await new Promise<void>((r) => monitor.stdout.once("data", () => r()));
    await t.cli(["WASM.CALL", "kv_set", "m1", "a", "m2", "b"]);
    await redis.cli(["PING"]); // something after, so the monitor has flushed the transaction
    await new Promise((r) => setTimeout(r, 100));
    monitor.kill();
    const lines = log.split("\n").filter((l) => /"(multi|set|exec)"/i.test(l)).map((l) => l.replace(/^.*?\] /, ""));
    expect(lines).toEqual(['"multi"', '"set" "m1" "a"', '"set" "m2" "b"', '"exec"']);
  });

  test("key commands go to the real Redis", async () => {
    expect(await t.cli(["SET", "via-server", "1", "EX", "100"])).toBe("OK");
    expect(await redis.cli(["GET", "via-server"])).toBe("1");
    expect(await t.cli(["TTL", "via-server"])).toMatch(/^(100|99)$/); // Redis's own rounding; a slow machine may pass half a second
    expect(await t.cli(["INCR", "via-server"])).toBe("2");
    expect((await t.cli(["KEYS", "user:*"])).split("\n").sort()).toEqual(["user:1", "user:2"]);
    expect(await t.cli(["SET", "via-server", "2", "NX"])).toBe("");
    expect(await t.cli(["SET", "via-server", "3", "XX", "GET"])).toBe("2");
    expect(await t.cli(["MGET", "nope", "user:1"])).toBe("\nada");
    expect(await t.cli(["DEL", "user:2", "nope"])).toBe("1");
    expect(await t.cli(["EXISTS", "user:1", "user:2"])).toBe("1");
    expect(await t.cli(["PERSIST", "via-server"])).toBe("0");
    expect(await t.cli(["EXPIRE", "user:1", "50"])).toBe("1");
    expect(await redis.cli(["TTL", "user:1"])).toBe("50");
    const [cursor] = (await t.cli(["SCAN", "0", "COUNT", "1000"])).split("\n");
    expect(cursor).toBe("0");
    expect(Number(await t.cli(["DBSIZE"]))).toBe(Number(await redis.cli(["DBSIZE"])));
    await redis.cli(["LPUSH", "list", "x"]);
    expect(await t.cli(["TYPE", "list"])).toBe("list");
    expect(await t.cli(["GET", "list"])).toBe("WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(await t.cli(["WASM.CALL", "kv_get", "list"])).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ refused ferrite_get: WRONGTYPE/);
    expect(await t.cli(["INFO", "keyspace"])).toMatch(/db0:keys=\d+,expires=1/);
  });

  test("when Redis goes down: clear errors, no hang, the server goes on", async () => {
    await redis.stop();
    const started = Date.now();
    expect(await t.cli(["WASM.CALL", "kv_get", "user:1"])).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ is unavailable for ferrite_get .*check that it is running/);
    expect(await t.cli(["GET", "user:1"])).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ is unavailable/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await t.cli(["PING"])).toBe("PONG");
    expect(await t.cli(["WASM.CALL", "kv_set_fail", "a", "b"])).toBe("FUNCERR boom"); // fails before any store access
  });

  test("when it comes back, the server reconnects by itself", async () => {
    redis = await startRedis(redis.port);
    await redis.cli(["SET", "back", "again"]);
    let reply = "";
    for (let i = 0; i < 60 && reply !== "again"; i++) {
      reply = await t.cli(["WASM.CALL", "kv_get", "back"]);
      if (reply !== "again") await new Promise((r) => setTimeout(r, 100));
    }
    expect(reply).toBe("again");
    expect(await t.cli(["GET", "back"])).toBe("again");
  });
});

test("a store that cannot be reached stops the start with the address and the fix", async () => {
  const port = await freePort();
  await expect(startServer({ config: { server: { port: 0, store: `redis://:pw@127.0.0.1:${port}` } } })).rejects.toThrow(
    new RegExp(`cannot reach the store at redis://127\\.0\\.0\\.1:${port} .*start that server, fix \\[server\\] store, or use store = "memory"`),
  );
});
