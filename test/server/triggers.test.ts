// TRIGGER.*: the spec's data-validation use case, sent by the real redis-cli. A matching write calls
// the function first; a failed call refuses the write and leaves the key as it was.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { buildFile } from "../helpers/asc.js";
import { constant } from "../helpers/const-wasm.js";
import { HAVE_REDIS, startRedis } from "../helpers/redis.js";
import { KV_WASM, startTestServer, type TestServer } from "../helpers/server.js";
import { wat } from "../helpers/wat.js";

/** `deny`: always fails with "writes to locked:* are not allowed". */
const DENY = wat(`(module
  (import "env" "ferrite_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "writes to locked:* are not allowed")
  (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "deny") (param i32 i32) (result i32) (call $error (i32.const 16) (i32.const 34)) (i32.const 1)))`);

const ADA = '{"name":"Ada","email":"ada@example.com"}';

let t: TestServer;
let client: FerriteClient;
let validator: Uint8Array;
beforeAll(async () => {
  validator = (await buildFile("test/server/fixtures/validate-user.ts")).wasm;
  t = await startTestServer();
  client = new FerriteClient(t.server.url);
  await client.wasmLoadB("validateUser", validator, { capabilities: ["read", "log"] });
  await client.wasmLoadB("deny", DENY);
  await client.wasmLoadB("kv_set", KV_WASM, { capabilities: ["read", "write"] });
});
afterAll(async () => {
  await client?.quit();
  await t?.close();
});

const info = async (name: string) => {
  const flat = (await client.redis.call("TRIGGER.INFO", name)) as unknown[];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i] as string] = flat[i + 1];
  return o;
};

describe("validation trigger", () => {
  test("TRIGGER.CREATE as the specification writes it", async () => {
    expect(await t.cli(["TRIGGER.CREATE", "validate_users", "ON", "user:*", "EVENTS", "SET", "ACTION", "CALL", "validateUser"])).toBe("OK");
    expect(await t.cli(["TRIGGER.LIST"])).toBe("validate_users");
  });

  test("redis-cli: a valid SET user:1 is accepted", async () => {
    expect(await t.cli(["SET", "user:1", ADA])).toBe("OK");
    expect(await t.cli(["GET", "user:1"])).toBe(ADA);
  });

  test("redis-cli: an invalid SET user:1 is refused with the function's error and nothing changes", async () => {
    const reply = await t.cli(["SET", "user:1", '{"name":"Bob","email":"bob-at-example"}']);
    expect(reply).toBe("FUNCERR invalid email 'bob-at-example' (write refused by trigger 'validate_users')");
    expect(await t.cli(["SET", "user:1", "not json"])).toMatch(/^FUNCERR a user must be a JSON object/);
    expect(await t.cli(["GET", "user:1"])).toBe(ADA);
  });

  test("other keys and other events are not checked", async () => {
    expect(await t.cli(["SET", "order:1", "anything"])).toBe("OK");
    expect(await t.cli(["DEL", "user:1"])).toBe("1");
  });

  test("MSET is refused whole when one pair fails", async () => {
    expect(await t.cli(["MSET", "user:2", ADA, "user:3", "bad", "plain", "x"])).toMatch(/^FUNCERR a user must be a JSON object/);
    expect(await t.cli(["EXISTS", "user:2", "user:3", "plain"])).toBe("0");
    expect(await t.cli(["MSET", "user:2", ADA, "plain", "x"])).toBe("OK");
  });

  test("TRIGGER.INFO has the reference's fields and counts executions and errors", async () => {
    const i = await info("validate_users");
    expect(i).toMatchObject({ name: "validate_users", pattern: "user:*", events: ["SET"], action: "CALL validateUser", enabled: 1, executions: 6, errors: 3 });
    expect(typeof i.last_execution).toBe("string");
    expect(i.last_error).toMatch(/a user must be a JSON object/);
  });

  test("DISABLE lets writes through, ENABLE checks them again", async () => {
    expect(await t.cli(["TRIGGER.DISABLE", "validate_users"])).toBe("OK");
    expect(await t.cli(["SET", "user:9", "free text"])).toBe("OK");
    expect((await info("validate_users")).enabled).toBe(0);
    expect(await t.cli(["TRIGGER.ENABLE", "validate_users"])).toBe("OK");
    expect(await t.cli(["SET", "user:9", "free text"])).toMatch(/^FUNCERR a user must be a JSON object/);
  });

  test("a function's own writes do not fire triggers", async () => {
    expect(await t.cli(["WASM.CALL", "kv_set", "user:10", "written by a function"])).toBe("OK");
    expect(await t.cli(["GET", "user:10"])).toBe("written by a function");
  });
});

describe("events", () => {
  test("DEL, INCR (sees the resulting number) and UNLINK", async () => {
    expect(await t.cli(["TRIGGER.CREATE", "lock", "ON", "locked:*", "EVENTS", "set", "del", "ACTION", "CALL", "deny"])).toBe("OK");
    expect(await t.cli(["SET", "locked:a", "1"])).toBe("FUNCERR writes to locked:* are not allowed (write refused by trigger 'lock')");
    expect(await t.cli(["INCR", "locked:n"])).toMatch(/refused by trigger 'lock'/);
    expect(await t.cli(["EXISTS", "locked:n"])).toBe("0");
    expect(await t.cli(["TRIGGER.DISABLE", "lock"])).toBe("OK");
    expect(await t.cli(["SET", "locked:a", "1"])).toBe("OK");
    expect(await t.cli(["TRIGGER.ENABLE", "lock"])).toBe("OK");
    expect(await t.cli(["DEL", "locked:a"])).toMatch(/refused by trigger 'lock'/);
    expect(await t.cli(["UNLINK", "locked:a"])).toMatch(/refused by trigger 'lock'/);
    expect(await t.cli(["GET", "locked:a"])).toBe("1");
    expect(await t.cli(["TRIGGER.LIST", "PATTERN", "lo*"])).toBe("lock");
    expect(await t.cli(["TRIGGER.DELETE", "lock"])).toBe("OK");
    expect(await t.cli(["DEL", "locked:a"])).toBe("1");
  });

  test("every other write command fires them too: nothing writes a locked key past the trigger", async () => {
    expect(await t.cli(["SET", "src", "v"])).toBe("OK");
    expect(await t.cli(["SET", "locked:kept", "1"])).toBe("OK");
    expect(await t.cli(["TRIGGER.CREATE", "lock2", "ON", "locked:*", "EVENTS", "SET", "DEL", "ACTION", "CALL", "deny"])).toBe("OK");
    const writes = [
      ["SETNX", "locked:b", "1"], ["SETEX", "locked:b", "10", "1"], ["PSETEX", "locked:b", "10", "1"], ["GETSET", "locked:b", "1"],
      ["MSETNX", "locked:b", "1"], ["APPEND", "locked:b", "1"], ["SETRANGE", "locked:b", "0", "1"], ["INCRBYFLOAT", "locked:b", "1"],
      ["COPY", "src", "locked:b"], ["RENAME", "src", "locked:b"], ["RENAMENX", "src", "locked:b"], ["GETDEL", "locked:kept"], ["MOVE", "locked:kept", "1"],
    ];
    for (const w of writes) expect(await t.cli(w), w.join(" ")).toMatch(/^FUNCERR writes to locked:\* are not allowed \(write refused by trigger 'lock2'\)$/);
    expect(await t.cli(["EXISTS", "locked:b"])).toBe("0");
    expect(await t.cli(["GET", "locked:kept"])).toBe("1");
    expect(await t.cli(["GET", "src"])).toBe("v");
    expect(await t.cli(["TRIGGER.DELETE", "lock2"])).toBe("OK");
  });

  test("a trigger whose function was unloaded refuses matching writes (fails closed)", async () => {
    await client.wasmLoadB("gone", constant("ok", "gone"));
    expect(await t.cli(["TRIGGER.CREATE", "g", "ON", "gone:*", "EVENTS", "SET", "ACTION", "CALL", "gone"])).toBe("OK");
    expect(await t.cli(["WASM.UNLOAD", "gone"])).toBe("OK");
    expect(await t.cli(["SET", "gone:1", "x"])).toBe("NOFUNC unknown function 'gone' (write refused by trigger 'g')");
    expect(await t.cli(["TRIGGER.DELETE", "g"])).toBe("OK");
  });
});

describe("errors", () => {
  test("grammar and names", async () => {
    expect(await t.cli(["TRIGGER.CREATE", "x", "ON", "a:*", "EVENTS", "SET", "ACTION", "CALL", "nope"])).toMatch(/^NOFUNC unknown function 'nope'; load it with WASM.LOAD/);
    expect(await t.cli(["TRIGGER.CREATE", "x", "IN", "a:*", "EVENTS", "SET", "ACTION", "CALL", "deny"])).toMatch(/^ERR syntax error: expected ON where 'IN' is/);
    expect(await t.cli(["TRIGGER.CREATE", "x", "ON", "a:*", "EVENTS", "HSET", "ACTION", "CALL", "deny"])).toBe("ERR syntax error: unknown trigger event 'HSET'; use SET or DEL");
    expect(await t.cli(["TRIGGER.CREATE", "validate_users", "ON", "a:*", "EVENTS", "SET", "ACTION", "CALL", "deny"])).toMatch(/^EXISTS trigger 'validate_users' already exists/);
    expect(await t.cli(["TRIGGER.INFO", "nope"])).toMatch(/^NOTRIGGER no such trigger 'nope'/);
    expect(await t.cli(["TRIGGER.CREATE", "x", "ON"])).toBe("ERR wrong number of arguments for 'trigger.create' command");
  });
});

test("triggers survive a restart with data_dir", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-triggers-"));
  try {
    const config = { server: { data_dir: path.join(dir, "data") } };
    const first = await startTestServer(config, { dir });
    const c = new FerriteClient(first.server.url);
    await c.wasmLoadB("validateUser", validator);
    await c.quit();
    expect(await first.cli(["TRIGGER.CREATE", "v", "ON", "user:*", "EVENTS", "SET", "ACTION", "CALL", "validateUser"])).toBe("OK");
    expect(await first.cli(["TRIGGER.DISABLE", "v"])).toBe("OK");
    await first.close();
    const second = await startTestServer(config, { dir });
    try {
      expect(await second.cli(["TRIGGER.LIST"])).toBe("v");
      expect(await second.cli(["SET", "user:1", "x"])).toBe("OK"); // still disabled
      expect(await second.cli(["TRIGGER.ENABLE", "v"])).toBe("OK");
      expect(await second.cli(["SET", "user:1", "x"])).toMatch(/refused by trigger 'v'/);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe.skipIf(!HAVE_REDIS)("with store = redis://", () => {
  test("the trigger checks before the write reaches Redis (INCR sees the resulting number)", async () => {
    const redis = await startRedis();
    const s = await startTestServer({ server: { store: redis.url } });
    try {
      const c = new FerriteClient(s.server.url);
      await c.wasmLoadB("validateUser", validator);
      await c.wasmLoadB("deny", DENY);
      await c.quit();
      expect(await s.cli(["TRIGGER.CREATE", "v", "ON", "user:*", "EVENTS", "SET", "ACTION", "CALL", "validateUser"])).toBe("OK");
      expect(await s.cli(["TRIGGER.CREATE", "lock", "ON", "locked:*", "EVENTS", "SET", "DEL", "ACTION", "CALL", "deny"])).toBe("OK");
      expect(await s.cli(["SET", "user:1", ADA])).toBe("OK");
      expect(await s.cli(["SET", "user:1", "nope"])).toMatch(/^FUNCERR a user must be a JSON object.*refused by trigger 'v'/);
      expect(await redis.cli(["GET", "user:1"])).toBe(ADA);
      expect(await s.cli(["INCR", "user:n"])).toMatch(/refused by trigger 'v'/); // "1" is not a JSON object
      expect(await s.cli(["INCR", "locked:n"])).toMatch(/refused by trigger 'lock'/);
      expect(await redis.cli(["EXISTS", "user:n", "locked:n"])).toBe("0");
    } finally {
      await s.close();
      await redis.stop();
    }
  });
});
