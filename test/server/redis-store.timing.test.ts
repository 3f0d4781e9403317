// The wall-clock half of redis-store.test.ts's "when Redis goes down": the errors come within the
// store's timeout, not after a hang. A timing test (run alone, `--project timing`).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe.skipIf(!HAVE_REDIS)("redis store, timing", () => {
  let redis: RedisProcess;
  let t: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestServer({ server: { store: redis.url, store_timeout_ms: 1000 } });
    await t.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  test("when Redis goes down, a call and a key command fail within 3 s together", async () => {
    await redis.stop();
    const started = Date.now();
    expect(await t.cli(["WASM.CALL", "kv_get", "user:1"])).toMatch(/is unavailable for ferrite_get/);
    expect(await t.cli(["GET", "user:1"])).toMatch(/is unavailable/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
