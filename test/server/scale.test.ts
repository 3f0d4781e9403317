// Many servers over one real Redis: serializable calls (no lost update), never blocking the event
// loop while a call waits for Redis. Every client is a real ioredis connection.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { createRuntime } from "../../runtime-sim/index.js";
import { RedisStore } from "../../server/store/redis-store.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { watFile } from "../helpers/wat.js";

const INCR = watFile(new URL("./fixtures/incr.wat", import.meta.url));

/** `clients` connections spread over the servers, each sending `each` increments one after another. */
async function hammer(servers: TestServer[], key: string, clients: number, each: number, extra: string[] = []): Promise<string[]> {
  const conns = Array.from({ length: clients }, (_, i) => new Redis(servers[i % servers.length].port, "127.0.0.1", { maxRetriesPerRequest: 0 }));
  try {
    const replies = await Promise.all(
      conns.map(async (c) => {
        const got: string[] = [];
        for (let i = 0; i < each; i++) got.push(String(await c.call("WASM.CALL", "incr", key, ...extra)));
        return got;
      }),
    );
    return replies.flat();
  } finally {
    for (const c of conns) c.disconnect();
  }
}

/** 1..n as text, for comparing with the sorted replies. */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
const numeric = (xs: string[]) => [...xs].sort((a, b) => Number(a) - Number(b));

describe.skipIf(!HAVE_REDIS)("many servers over one Redis", () => {
  let redis: RedisProcess;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    for (let i = 0; i < 3; i++) servers.push(await startTestServer({ server: { store: redis.url } }));
    // Deployed once, on one server: the others load it from the store.
    const deployer = new Redis(servers[0].port, "127.0.0.1");
    await deployer.call("WASM.LOADB", "incr", Buffer.from(INCR), "CAPABILITIES", "read", "write", "TIMEOUT", "20000");
    deployer.disconnect();
    for (const t of servers) while (!t.server.runtime.has("incr")) await new Promise((r) => setTimeout(r, 10));
  });
  afterAll(async () => {
    for (const t of servers) await t.close();
    await redis?.stop();
  });

  test("40 clients incrementing one key through two servers: every update counted, each value handed out once", async () => {
    const replies = await hammer(servers.slice(0, 2), "count:two", 40, 25);
    expect(await redis.cli(["GET", "count:two"])).toBe("1000");
    // Serializable: the 1000 increments saw 0..999, so they returned 1..1000, each once.
    expect(numeric(replies)).toEqual(upTo(1000));
  });

  test("48 clients through three servers, each call also writing a mirror key: exact, and never half applied", async () => {
    const replies = await hammer(servers, "count:three", 48, 20, ["count:three:mirror"]);
    expect(await redis.cli(["MGET", "count:three", "count:three:mirror"])).toBe("960\n960");
    expect(numeric(replies)).toEqual(upTo(960));
  });

  test("a read-modify-write retried after a conflict reports how many attempts it took", async () => {
    // Run directly on the runtime to see the result's attempts; a parallel burst collides.
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => servers[i % 3].server.runtime.callAsync("incr", ["count:attempts"])));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await redis.cli(["GET", "count:attempts"])).toBe("20");
    expect(Math.max(...results.map((r) => r.attempts ?? 0))).toBeGreaterThan(1);
  });

  test("only the committed run's log lines are delivered, however many times a call ran", async () => {
    const lines: string[] = [];
    const t = await startTestServer({ server: { store: redis.url } }, { log: (_level, m) => m.startsWith("[incr_logged]") && lines.push(m) });
    try {
      await t.server.runtime.load("incr_logged", INCR, { capabilities: ["read", "write", "log"], timeoutMs: 20_000 });
      const results = await Promise.all(Array.from({ length: 30 }, () => t.server.runtime.callAsync("incr_logged", ["count:logged"])));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(results.reduce((n, r) => n + (r.attempts ?? 1), 0)).toBeGreaterThan(30); // some ran again
      expect(lines).toEqual(Array(30).fill("[incr_logged] incr"));
      expect(results.every((r) => r.logs.length === 1)).toBe(true);
    } finally {
      await t.close();
    }
  });

  test("commits by WATCH/MULTI on pooled connections (the bench's other strategy) are exact too", async () => {
    const store = await RedisStore.connect({ url: redis.url, commit: "watch" });
    try {
      const rt = createRuntime({ asyncStore: store });
      await rt.load("incr", INCR, { capabilities: ["read", "write"], timeoutMs: 20_000 });
      const results = await Promise.all(Array.from({ length: 40 }, () => rt.callAsync("incr", ["count:watch", "count:watch:mirror"])));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(await redis.cli(["MGET", "count:watch", "count:watch:mirror"])).toBe("40\n40");
      expect(numeric(results.map((r) => Buffer.from(r.value!).toString()))).toEqual(upTo(40));
    } finally {
      await store.close();
    }
  });

  test("while calls wait for Redis, other clients are served", async () => {
    // Redis holds every client's commands for a second (CLIENT PAUSE); a call waits for it, yet
    // PING on the same server answers in the meantime.
    const t = servers[0];
    const sleeper = new Redis(redis.port, "127.0.0.1");
    const caller = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 0 });
    const other = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 0 });
    try {
      await sleeper.call("CLIENT", "PAUSE", "1000", "ALL");
      let callDone = false;
      const call = caller.call("WASM.CALL", "incr", "count:sleep").then((v) => ((callDone = true), v));
      expect(await other.ping()).toBe("PONG");
      expect(callDone).toBe(false); // PING answered while the call was still waiting
      expect(await call).toBe("1");
    } finally {
      for (const c of [sleeper, caller, other]) c.disconnect();
    }
  });
});

describe.skipIf(!HAVE_REDIS)("a store restart in the middle of the load", () => {
  test("nothing acknowledged is lost and nothing is applied in part", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-aof-"));
    // Every write on disk before Redis answers: what a client was told is done survives kill -9.
    const durable = ["--appendonly", "yes", "--appendfsync", "always", "--dir", dir];
    let redis = await startRedis(undefined, durable);
    const servers = [await startTestServer({ server: { store: redis.url } }), await startTestServer({ server: { store: redis.url } })];
    try {
      const deployer = new Redis(servers[0].port, "127.0.0.1");
      await deployer.call("WASM.LOADB", "incr", Buffer.from(INCR), "CAPABILITIES", "read", "write", "TIMEOUT", "20000");
      deployer.disconnect();
      for (const t of servers) while (!t.server.runtime.has("incr")) await new Promise((r) => setTimeout(r, 10));

      const acked: number[] = [];
      const unsure: string[] = []; // the reply was lost with the connection: may or may not have applied
      const refused: string[] = []; // failed before anything was sent: did not apply
      let stop = false;
      const conns = Array.from({ length: 20 }, (_, i) => new Redis(servers[i % 2].port, "127.0.0.1", { maxRetriesPerRequest: 0 }));
      const load = Promise.all(
        conns.map(async (c) => {
          while (!stop) {
            try {
              acked.push(Number(await c.call("WASM.CALL", "incr", "restart:n", "restart:mirror")));
            } catch (e) {
              const text = (e as Error).message;
              (/may or may not/.test(text) ? unsure : refused).push(text);
              await new Promise((r) => setTimeout(r, 5));
            }
          }
        }),
      );
      const until = async (n: number) => {
        while (acked.length < n) await new Promise((r) => setTimeout(r, 5));
      };
      await until(150);
      process.kill(redis.pid, "SIGKILL");
      await redis.stop();
      redis = await startRedis(redis.port, durable);
      const before = acked.length;
      await until(before + 150); // the servers reconnected by themselves and the load goes on
      stop = true;
      await load;
      for (const c of conns) c.disconnect();

      const [n, mirror] = (await redis.cli(["MGET", "restart:n", "restart:mirror"])).split("\n").map(Number);
      expect(mirror).toBe(n); // never half a commit
      expect(new Set(acked).size).toBe(acked.length); // each value handed out once
      expect(Math.max(...acked)).toBeLessThanOrEqual(n); // every acknowledged increment is there
      expect(n).toBeLessThanOrEqual(acked.length + unsure.length); // and nothing more than was tried
      expect(n).toBeGreaterThanOrEqual(acked.length);
      expect(refused.every((t) => /unavailable|Connection|closed|ECONNREFUSED|timed out/i.test(t))).toBe(true);
    } finally {
      for (const t of servers) await t.close();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
