// store = "redis://...": the keyspace lives in a real redis-server started by the test. Functions
// read it without blocking the server and commit through one script that checks what they read.
import { spawn } from "node:child_process";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer } from "../../server/index.js";
import { StoreLink } from "../../server/store/link.js";
import { RedisStore } from "../../server/store/redis-store.js";
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

  test("a call's writes go in one atomic script, with its read check", async () => {
    const monitor = spawn("redis-cli", ["-p", String(redis.port), "MONITOR"]);
    let log = "";
    monitor.stdout.on("data", (d) => (log += d));
    await new Promise<void>((r) => monitor.stdout.once("data", () => r()));
    await t.cli(["WASM.CALL", "kv_copy", "from-redis", "m1"]);
    // Something after, and wait until the monitor shows it: the script is then in the log.
    const flushed = new Promise<void>((r) => monitor.stdout.on("data", () => /"ping"/i.test(log) && r()));
    await redis.cli(["PING"]);
    await flushed;
    monitor.kill();
    const lines = log.split("\n").filter((l) => /"(evalsha|eval|get|set)"/i.test(l) && /"(from-redis|m1)"/.test(l)).map((l) => l.replace(/^\S+ \[\d+ /, "["));
    // One GET (the read, before the run that commits), then the script: it checks the read and writes.
    expect(lines[0]).toMatch(/^\[127\.0\.0\.1:\d+\] "get" "from-redis"$/i);
    expect(lines[1]).toMatch(/^\[127\.0\.0\.1:\d+\] "(evalsha|eval)" .*"from-redis" "m1"/i);
    expect(lines.slice(2)).toEqual(['[lua] "GET" "from-redis"', '[lua] "SET" "m1" "hello"']);
  });

  /** TTL is whole seconds, rounded: after `elapsedMs` a key set to expire in `seconds` shows at least this. */
  const ttlAfter = (seconds: number, elapsedMs: number) => seconds - Math.ceil(elapsedMs / 1000);

  test("key commands go to the real Redis", async () => {
    const setAt = Date.now();
    expect(await t.cli(["SET", "via-server", "1", "EX", "100"])).toBe("OK");
    expect(await redis.cli(["GET", "via-server"])).toBe("1");
    // 100 on an idle machine; a subprocess round trip on a busy one may take a second or more.
    const ttl = Number(await t.cli(["TTL", "via-server"]));
    expect(ttl).toBeLessThanOrEqual(100);
    expect(ttl).toBeGreaterThanOrEqual(ttlAfter(100, Date.now() - setAt));
    expect(await t.cli(["INCR", "via-server"])).toBe("2");
    expect((await t.cli(["KEYS", "user:*"])).split("\n").sort()).toEqual(["user:1", "user:2"]);
    expect(await t.cli(["SET", "via-server", "2", "NX"])).toBe("");
    expect(await t.cli(["SET", "via-server", "3", "XX", "GET"])).toBe("2");
    expect(await t.cli(["MGET", "nope", "user:1"])).toBe("\nada");
    expect(await t.cli(["DEL", "user:2", "nope"])).toBe("1");
    expect(await t.cli(["EXISTS", "user:1", "user:2"])).toBe("1");
    expect(await t.cli(["PERSIST", "via-server"])).toBe("0");
    const expiredAt = Date.now();
    expect(await t.cli(["EXPIRE", "user:1", "50"])).toBe("1");
    const ttl50 = Number(await redis.cli(["TTL", "user:1"]));
    expect(ttl50).toBeLessThanOrEqual(50);
    expect(ttl50).toBeGreaterThanOrEqual(ttlAfter(50, Date.now() - expiredAt));
    const [cursor] = (await t.cli(["SCAN", "0", "COUNT", "1000"])).split("\n");
    expect(cursor).toBe("0");
    // The server's own keys ({ferrite-wasm}:..., the registry and the users) are left out of its DBSIZE.
    const registryKeys = (await redis.cli(["KEYS", "{ferrite-wasm}:*"])).split("\n").filter(Boolean).length;
    expect(registryKeys).toBeGreaterThan(0);
    expect(Number(await t.cli(["DBSIZE"]))).toBe(Number(await redis.cli(["DBSIZE"])) - registryKeys);
    await redis.cli(["LPUSH", "list", "x"]);
    expect(await t.cli(["TYPE", "list"])).toBe("list");
    expect(await t.cli(["GET", "list"])).toBe("WRONGTYPE Operation against a key holding the wrong kind of value");
    expect(await t.cli(["WASM.CALL", "kv_get", "list"])).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ refused ferrite_get: WRONGTYPE/);
    expect(await t.cli(["INFO", "keyspace"])).toMatch(/db0:keys=\d+,expires=1/);
  });

  test("when Redis goes down: clear errors, no hang, the server goes on", async () => {
    await redis.stop();
    // How fast the errors come is redis-store.timing.test.ts's; here, that they come and say why.
    expect(await t.cli(["WASM.CALL", "kv_get", "user:1"])).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ is unavailable for ferrite_get .*check that it is running/);
    expect(await t.cli(["GET", "user:1"])).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ is unavailable/);
    expect(await t.cli(["PING"])).toBe("PONG");
    expect(await t.cli(["WASM.CALL", "kv_set_fail", "a", "b"])).toBe("FUNCERR boom"); // fails before any store access
  });

  test("when it comes back (empty: it kept nothing on disk), the server reconnects and writes its functions back", async () => {
    redis = await startRedis(redis.port);
    await redis.cli(["SET", "back", "again"]);
    // The server reconnects on its own schedule: ask until it answers from the store again (each
    // ask is a round trip, no sleep; the test's timeout bounds it).
    let reply = "";
    while (reply !== "again") {
      reply = await t.cli(["WASM.CALL", "kv_get", "back"]);
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

test("a store that accepts connections but never answers fails the connect (both paths) within connectTimeoutMs, naming it and the fix", async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const url = `redis://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  try {
    const message = new RegExp(`cannot reach the store at ${url.replace(/\./g, "\\.")} \\(no answer within 200 ms\\); start that server, fix \\[server\\] store, or use store = "memory"`);
    await expect(RedisStore.connect({ url, connectTimeoutMs: 200 })).rejects.toThrow(message);
    await expect(StoreLink.connect({ url, where: url, timeoutMs: 200, connectTimeoutMs: 200 })).rejects.toThrow(message);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});
