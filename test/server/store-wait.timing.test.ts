// A call with TIMEOUT 100 whose store does not answer ends at about 100 ms, not the store's own 2 s:
// every store wait is bounded by the call's remaining time (and never holds the event loop).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { performance } from "node:perf_hooks";
import { createRuntime } from "../../runtime-sim/index.js";
import { RedisStore } from "../../server/store/redis-store.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { KV_WASM } from "../helpers/server.js";

describe.skipIf(!HAVE_REDIS)("store waits, timed", () => {
  let redis: RedisProcess;
  let store: RedisStore;
  let pid = 0;
  const pause = () => process.kill(pid, "SIGSTOP");
  const resume = () => process.kill(pid, "SIGCONT");
  beforeAll(async () => {
    redis = await startRedis();
    pid = Number(/process_id:(\d+)/.exec(await redis.cli(["INFO", "server"]))![1]);
    store = await RedisStore.connect({ url: redis.url, timeoutMs: 2000 });
  });
  afterAll(async () => {
    if (pid) resume();
    await store?.close();
    await redis?.stop();
  });

  test("a read and a commit against a paused Redis end at the call's TIMEOUT of 100 ms", async () => {
    const rt = createRuntime({ asyncStore: store });
    await rt.load("kv_get", KV_WASM, { timeoutMs: 100, capabilities: ["read"] });
    await rt.load("kv_set", KV_WASM, { timeoutMs: 100, capabilities: ["write"] });
    pause();
    for (const [name, args] of [["kv_get", ["k"]], ["kv_set", ["a", "1"]]] as const) {
      const t = performance.now();
      const r = await rt.callAsync(name, [...args]);
      const held = performance.now() - t;
      expect(r.error!.code).toBe("ERR_TIMEOUT");
      expect(held).toBeGreaterThanOrEqual(99);
      expect(held).toBeLessThan(150);
    }
  });
});
