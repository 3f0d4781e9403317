// Real client libraries against the server: ioredis, node-redis (RESP2 and RESP3) and our FerriteClient,
// which must also recognise a server without functions (a real redis-server).
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient, FerriteReplyError, FunctionsUnsupportedError } from "../../server/client.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { ECHO_WASM, KV_WASM, startTestServer, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

describe("ioredis", () => {
  test("connects (ready check, CLIENT SETINFO) and runs WASM.* and key commands", async () => {
    const r = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
    try {
      expect(await r.call("WASM.LOADB", "echo", Buffer.from(ECHO_WASM), "CAPABILITIES", "read", "REPLACE")).toBe("OK");
      expect(await r.call("WASM.CALL", "echo", "a", "b")).toBe("a\nb");
      const bin = Buffer.from([0, 1, 2, 255, 13, 10]);
      expect(await r.callBuffer("WASM.CALL", "echo", bin)).toEqual(bin);
      await expect(r.call("WASM.CALL", "nope")).rejects.toThrow("NOFUNC unknown function 'nope'");
      expect(await r.set("ik", "1")).toBe("OK");
      expect(await r.incr("ik")).toBe(2);
      expect(await r.get("ik")).toBe("2");
      expect(await r.mget("ik", "missing")).toEqual(["2", null]);
      expect(await r.client("GETNAME")).toBeNull();
      // pipelining: replies in order
      const res = await r.pipeline().set("p1", "a").get("p1").call("WASM.CALL", "echo", "z").del("p1").exec();
      expect(res!.map(([, v]) => v)).toEqual(["OK", "a", "z", 1]);
    } finally {
      r.disconnect();
    }
  });

  test("RESP3 (protocol: 3) through HELLO", async () => {
    const r = new Redis({ port: t.port, host: "127.0.0.1", protocol: 3 } as never);
    try {
      expect(await r.get("missing")).toBeNull();
      expect(await r.call("WASM.CALL", "echo", "resp3")).toBe("resp3");
    } finally {
      r.disconnect();
    }
  });
});

describe("node-redis", () => {
  test.each([2, 3] as const)("RESP%i: connect, WASM.CALL, keys, errors", async (RESP) => {
    const c = createClient({ url: `redis://127.0.0.1:${t.port}`, RESP });
    c.on("error", () => {});
    await c.connect();
    try {
      expect(await c.ping()).toBe("PONG");
      expect(await c.sendCommand(["WASM.LOADB", "kv_set", Buffer.from(KV_WASM), "CAPABILITIES", "read", "write", "REPLACE"])).toBe("OK");
      expect(await c.sendCommand(["WASM.CALL", "kv_set", "nk0", "v0"])).toBe("OK");
      expect(await c.get("nk0")).toBe("v0");
      await c.set("nk", "hello");
      expect(await c.get("nk")).toBe("hello");
      await c.sendCommand(["WASM.LOAD", "kv_get", "kv.wasm", "REPLACE"]);
      expect(await c.sendCommand(["WASM.CALL", "kv_get", "nk"])).toBe("hello");
      expect(await c.sendCommand(["WASM.CALL", "kv_get", "missing"])).toBeNull();
      expect(await c.sendCommand(["WASM.LIST"])).toContain("kv_get");
      await expect(c.sendCommand(["WASM.CALL", "nope"])).rejects.toThrow("NOFUNC unknown function 'nope'");
      const cfg = await c.configGet("save");
      expect(cfg).toEqual({ save: "" });
      expect(await c.exists(["nk", "missing"])).toBe(1);
      expect(await c.ttl("nk")).toBe(-1);
      expect(await c.clientId()).toBeTypeOf("number");
    } finally {
      await c.quit();
    }
  });
});

describe("FerriteClient", () => {
  test("mirrors the spec's API", async () => {
    const f = new FerriteClient(`redis://127.0.0.1:${t.port}`);
    try {
      await f.wasmLoad("echo", "echo.wasm", { replace: true, capabilities: ["read", "log"], memory: "1MB", timeoutMs: 250 });
      expect(await f.wasmCall("echo", ["x", "y"])).toBe("x\ny");
      expect(await f.wasmCallRead("echo", ["r"])).toBe("r");
      expect(await f.wasmCallBuffer("echo", [new Uint8Array([1, 2])])).toEqual(Buffer.from([1, 2]));
      expect(await f.wasmList()).toContain("echo");
      const info = await f.wasmInfo("echo");
      expect(info).toMatchObject({ name: "echo", capabilities: ["read", "log"], memory_limit: "1MB", timeout_ms: 250 });
      expect((await f.wasmStats("echo")).invocations).toBe(3);
      expect((await f.wasmStats()).totals.invocations).toBeGreaterThanOrEqual(3);
      await f.wasmUpdate("echo", { timeoutMs: 400 });
      expect((await f.wasmInfo("echo")).timeout_ms).toBe(400);
      await f.wasmReload("echo");
      await f.wasmLoadB("status7", ECHO_WASM, { replace: true });
      await expect(f.wasmReload("status7")).rejects.toThrow(/has no file to reload/);
      await f.wasmUnload("echo");
      const err = await f.wasmCall("echo").catch((e) => e);
      expect(err).toBeInstanceOf(FerriteReplyError);
      expect(err.reply).toBe("NOFUNC unknown function 'echo'");
      expect(err.code).toBe("ERR_UNKNOWN_FUNCTION");
      await expect(f.wasmLoad("echo", "echo.wasm", { capabilities: ["nope" as never] })).rejects.toThrow("ERR unknown capability 'nope'");
    } finally {
      await f.quit();
    }
  });

  test("redis:// with credentials authenticates; rediss:// turns TLS on", () => {
    const f = new FerriteClient("rediss://app:s3cret@127.0.0.1:6390/0", { lazyConnect: true });
    expect(f.redis.options).toMatchObject({ host: "127.0.0.1", port: 6390, username: "app", password: "s3cret" });
    expect(f.redis.options.tls).toBeTruthy();
    expect(new FerriteClient("redis://127.0.0.1:6390", { lazyConnect: true }).redis.options.tls).toBeFalsy();
    f.disconnect();
  });

  describe.skipIf(!HAVE_REDIS)("against a server without functions", () => {
    let redis: RedisProcess;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(() => redis?.stop());

    test("a plain Redis gets a specific, actionable error", async () => {
      const f = new FerriteClient(redis.url);
      try {
        const e1 = await f.wasmLoadB("x", ECHO_WASM).catch((e) => e);
        expect(e1).toBeInstanceOf(FunctionsUnsupportedError);
        expect(e1.message).toMatch(/cannot run ferrite-wasm functions/);
        expect(e1.message).toContain("ferrite-wasm serve");
        expect(e1.reply).toMatch(/^ERR unknown command 'WASM.LOADB'/);
        // WASM.LOAD would be accepted by a released Ferrite without effect: wasmLoad probes first.
        await expect(f.wasmLoad("x", "x.wasm")).rejects.toBeInstanceOf(FunctionsUnsupportedError);
        await expect(f.ensureFunctions()).rejects.toBeInstanceOf(FunctionsUnsupportedError);
      } finally {
        await f.quit();
      }
    });
  });
});
