// `ferrite-wasm serve --workers N`: N processes on one port over one Redis store, each a whole
// server; refused over the embedded memory store. The built CLI, real redis-server and ioredis.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { watFile } from "../helpers/wat.js";
import { cli, ensureCliBuilt, tempDir } from "./helpers/cli.js";
import { startServe, type ServeProcess } from "./helpers/serve.js";

const INCR = watFile(new URL("../server/fixtures/incr.wat", import.meta.url));

beforeAll(() => ensureCliBuilt(), 300_000);

test("--workers 2 over the memory store is refused with the fix", async () => {
  const r = await cli(["serve", "--port", "0", "--workers", "2"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/--workers 2 needs a shared store: with store = "memory" each process would keep its own keys and functions/);
  expect(r.stderr).toMatch(/--store redis:\/\/host:port/);
});

describe.skipIf(!HAVE_REDIS)("serve --workers 3 over one Redis", () => {
  let redis: RedisProcess;
  let serve: ServeProcess;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    redis = await startRedis();
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    serve = await startServe(["--store", redis.url, "--workers", "3"], tmp.dir);
  });
  afterAll(async () => {
    const code = await serve?.stop();
    expect(code).toBe(0);
    await redis?.stop();
    await cleanup?.();
  });

  test("three processes answer on one port; a deploy through one is served by all, and increments are exact", async () => {
    const ready = JSON.parse(serve.output().split("\n").find((l) => l.includes('"ready"'))!);
    expect(ready.workers).toBe(3);
    expect(new Set(ready.pids).size).toBe(3);
    const deployer = new Redis(serve.port, "127.0.0.1");
    await deployer.call("WASM.LOADB", "incr", Buffer.from(INCR), "CAPABILITIES", "read", "write", "TIMEOUT", "20000");
    deployer.disconnect();
    // Connections spread over the workers (round-robin); each asks its process id.
    const conns = Array.from({ length: 24 }, () => new Redis(serve.port, "127.0.0.1", { maxRetriesPerRequest: 0 }));
    try {
      const pids = await Promise.all(conns.map(async (c) => /process_id:(\d+)/.exec(await c.info("server"))![1]));
      expect(new Set(pids)).toEqual(new Set(ready.pids.map(String)));
      // A worker that has not heard of the deploy yet looks in the store before answering.
      const call = async (c: Redis) => String(await c.call("WASM.CALL", "incr", "workers:n"));
      const replies = (await Promise.all(conns.map(async (c) => {
        const got: string[] = [];
        for (let i = 0; i < 20; i++) got.push(await call(c));
        return got;
      }))).flat();
      expect(await redis.cli(["GET", "workers:n"])).toBe("480");
      expect(replies.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 480 }, (_, i) => i + 1));
    } finally {
      for (const c of conns) c.disconnect();
    }
  });
});
