// One deployment, many servers: over a Redis store the functions and triggers live in the store,
// so a deploy, update, rollback or unload on one server is served by every other one, and a server
// started later serves them at once. Real redis-server, real redis-cli and ioredis clients.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { ECHO_WASM, KV_WASM, startTestServer, type TestServer } from "../helpers/server.js";
import { wat } from "../helpers/wat.js";
import { constant } from "../helpers/const-wasm.js";

const DENY = wat(`(module
  (import "env" "ferrite_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "locked")
  (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "deny") (param i32 i32) (result i32) (call $error (i32.const 16) (i32.const 6)) (i32.const 1)))`);

/** Asks until `ask` gives `want`: the change reaches the other server by pub/sub, not instantly. */
async function eventually(ask: () => Promise<string>, want: string): Promise<string> {
  let got = await ask();
  for (let i = 0; i < 200 && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 25));
    got = await ask();
  }
  return got;
}

describe.skipIf(!HAVE_REDIS)("the registry in a Redis store", () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  const later: TestServer[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestServer({ server: { store: redis.url } });
    b = await startTestServer({ server: { store: redis.url } });
  });
  afterAll(async () => {
    for (const t of [a, b, ...later]) await t?.close();
    await redis?.stop();
  });

  test("a deploy on one server is answered by another", async () => {
    const ca = new Redis(a.port, "127.0.0.1");
    await ca.call("WASM.LOADB", "kv_get", Buffer.from(KV_WASM), "CAPABILITIES", "read");
    await ca.call("WASM.LOADB", "echo", Buffer.from(ECHO_WASM));
    ca.disconnect();
    await redis.cli(["SET", "greeting", "hello"]);
    expect(await eventually(() => b.cli(["WASM.CALL", "kv_get", "greeting"]), "hello")).toBe("hello");
    expect(await b.cli(["WASM.LIST"])).toContain("kv_get");
  });

  test("a server started after the deploy serves it at once", async () => {
    const c = await startTestServer({ server: { store: redis.url } });
    later.push(c);
    expect(await c.cli(["WASM.CALL", "kv_get", "greeting"])).toBe("hello"); // no waiting
  });

  test("UPDATE, a new version, ROLLBACK and UNLOAD on one server take effect on the other", async () => {
    const cb = new Redis(b.port, "127.0.0.1");
    try {
      await cb.call("WASM.UPDATE", "kv_get", "TIMEOUT", "777");
      expect(await eventually(async () => (await a.cli(["WASM.INFO", "kv_get"])).includes("777") ? "yes" : "no", "yes")).toBe("yes");
      await cb.call("WASM.LOADB", "kv_get", Buffer.from(constant("version two")), "REPLACE");
      expect(await eventually(() => a.cli(["WASM.CALL", "kv_get", "greeting"]), "version two")).toBe("version two");
      expect(await a.cli(["WASM.VERSIONS", "kv_get"])).toMatch(/version two|2/);
      await cb.call("WASM.ROLLBACK", "kv_get");
      expect(await eventually(() => a.cli(["WASM.CALL", "kv_get", "greeting"]), "hello")).toBe("hello");
      await cb.call("WASM.UNLOAD", "kv_get");
      expect(await eventually(() => a.cli(["WASM.CALL", "kv_get", "greeting"]), "NOFUNC unknown function 'kv_get'")).toBe("NOFUNC unknown function 'kv_get'");
    } finally {
      cb.disconnect();
    }
  });

  test("KEYS, SCAN, RANDOMKEY, DBSIZE, INFO keyspace, FLUSHDB and FLUSHALL neither show nor touch the registry", async () => {
    await a.cli(["FLUSHDB"]);
    await a.cli(["SET", "only", "1"]);
    expect(await a.cli(["KEYS", "*"])).toBe("only");
    expect(await a.cli(["DBSIZE"])).toBe("1");
    expect(await a.cli(["INFO", "keyspace"])).toMatch(/^db0:keys=1,expires=0,/m);
    expect(await a.cli(["SCAN", "0", "COUNT", "100"])).toBe("0\nonly");
    for (let i = 0; i < 20; i++) expect(await a.cli(["RANDOMKEY"])).toBe("only");
    expect(Number(await redis.cli(["DBSIZE"]))).toBeGreaterThan(1); // the registry is there, under its prefix
    expect(await redis.cli(["KEYS", "{ferrite-wasm}:*"])).toMatch(/\{ferrite-wasm\}:functions/);
    await a.cli(["FLUSHDB"]);
    expect(await a.cli(["DBSIZE"])).toBe("0");
    expect((await b.cli(["WASM.LIST"])).split("\n").sort()).toEqual(["echo"]); // still deployed after FLUSHDB
    expect(await b.cli(["WASM.CALL", "echo", "still"])).toBe("still");
    // FLUSHALL empties every database of the store but keeps the registry.
    await a.cli(["SET", "again", "1"]);
    await redis.cli(["-n", "3", "SET", "in3", "1"]);
    expect(await a.cli(["FLUSHALL"])).toBe("OK");
    expect(await a.cli(["DBSIZE"])).toBe("0");
    expect(await redis.cli(["-n", "3", "DBSIZE"])).toBe("0");
    expect(await b.cli(["WASM.CALL", "echo", "after flushall"])).toBe("after flushall");
  });

  test("a trigger created on one server fires on the server that receives the write, once", async () => {
    const ca = new Redis(a.port, "127.0.0.1");
    await ca.call("WASM.LOADB", "deny", Buffer.from(DENY));
    ca.disconnect();
    expect(await a.cli(["TRIGGER.CREATE", "lock", "ON", "locked:*", "EVENTS", "SET", "ACTION", "CALL", "deny"])).toBe("OK");
    // The other server has it once the notice arrived (a write there before then is not checked).
    expect(await eventually(() => b.cli(["TRIGGER.LIST"]), "lock")).toBe("lock");
    expect(await b.cli(["SET", "locked:1", "x"])).toBe("FUNCERR locked (write refused by trigger 'lock')");
    expect(await redis.cli(["EXISTS", "locked:1"])).toBe("0");
    const executions = async (t: TestServer) => {
      const flat = (await t.cli(["TRIGGER.INFO", "lock"])).split("\n");
      return flat[flat.indexOf("executions") + 1];
    };
    expect(await executions(b)).toBe("1");
    expect(await executions(a)).toBe("0");
    expect(await a.cli(["TRIGGER.DELETE", "lock"])).toBe("OK");
    expect(await eventually(() => b.cli(["SET", "locked:1", "x"]), "OK")).toBe("OK");
  });

  test("a module whose bytes in the store do not match their hash is not loaded", async () => {
    const ca = new Redis(a.port, "127.0.0.1");
    await ca.call("WASM.LOADB", "kv_set", Buffer.from(KV_WASM), "CAPABILITIES", "read", "write");
    ca.disconnect();
    const direct = new Redis(redis.port, "127.0.0.1");
    const sha = JSON.parse((await direct.hget("{ferrite-wasm}:functions", "kv_set"))!).sha256 as string;
    const bytes = (await direct.hgetBuffer("{ferrite-wasm}:modules", sha))!;
    bytes[bytes.length - 1] ^= 0xff;
    await direct.hset("{ferrite-wasm}:modules", sha, bytes);
    direct.disconnect();
    const warnings: string[] = [];
    const c = await startTestServer({ server: { store: redis.url } }, { log: (level, m) => level === "warn" && warnings.push(m) });
    later.push(c);
    expect(await c.cli(["WASM.CALL", "kv_set", "k", "v"])).toBe("NOFUNC unknown function 'kv_set'");
    expect(warnings.join("\n")).toMatch(new RegExp(`module ${sha.slice(0, 12)} in the store does not match its content hash`));
  });
});
