// Every store wait of a call is bounded by the call's remaining time: a Redis that does not answer
// fails the call with its timeout error (TIMEOUT 100 here), not after store_timeout_ms (2 s). Over a
// Redis store the wait never holds the event loop (calls go through callAsync).
// A real redis-server, stopped with SIGSTOP so it takes commands and answers none.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createRuntime } from "../../runtime-sim/index.js";
import { RedisStore } from "../../server/store/redis-store.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { KV_WASM } from "../helpers/server.js";

describe.skipIf(!HAVE_REDIS)("store waits end with the call's time", () => {
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
  afterEach(() => {
    resume();
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  async function runtime() {
    const rt = createRuntime({ asyncStore: store });
    await rt.load("kv_get", KV_WASM, { timeoutMs: 100, capabilities: ["read"] });
    await rt.load("kv_set", KV_WASM, { timeoutMs: 100, capabilities: ["write"] });
    return rt;
  }

  test("a read (ferrite_get) from a paused Redis fails with the call's timeout error", async () => {
    const rt = await runtime();
    await redis.cli(["SET", "k", "v"]);
    expect(Buffer.from((await rt.callAsync("kv_get", ["k"])).value!).toString()).toBe("v");
    pause();
    const r = await rt.callAsync("kv_get", ["k"]);
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe("ERR_TIMEOUT");
    expect(r.error!.reply).toBe("TIMEOUT function 'kv_get' timed out after 100 ms");
    expect(rt.stats("kv_get")).toMatchObject({ invocations: 2, failed: 1, timeouts: 1 });
    resume();
    expect(Buffer.from((await rt.callAsync("kv_get", ["k"])).value!).toString()).toBe("v"); // and the store serves again
  });

  test("a commit to a paused Redis fails with the call's timeout error, and says nothing was applied only if so", async () => {
    const rt = await runtime();
    pause();
    const r = await rt.callAsync("kv_set", ["a", "1"]);
    expect(r.error!.code).toBe("ERR_TIMEOUT");
    expect(r.error!.reply).toBe("TIMEOUT function 'kv_set' timed out after 100 ms");
    resume();
    // The script was sent before the wait ran out: Redis runs it once it wakes, all of it or none.
    let a = await redis.cli(["GET", "a"]);
    for (let i = 0; i < 100 && a === ""; i++) a = await redis.cli(["GET", "a"]);
    expect(["", "1"]).toContain(a);
  });

  test("other work goes on while a call waits on the paused Redis", async () => {
    const rt = await runtime();
    pause();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const r = await rt.callAsync("kv_get", ["k"]);
    clearInterval(timer);
    expect(r.error!.code).toBe("ERR_TIMEOUT");
    expect(ticks).toBeGreaterThan(2); // the event loop ran timers during the call's 100 ms
  });
});
