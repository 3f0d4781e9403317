// A change made on one server is served by another over the same Redis within a second (pub/sub
// notice; the epoch is also looked at every second). Wall-clock bound: runs in the timing project.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { constant } from "../helpers/const-wasm.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe.skipIf(!HAVE_REDIS)("registry changes reach other servers", () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestServer({ server: { store: redis.url } });
    b = await startTestServer({ server: { store: redis.url } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test("a new version deployed on one server answers on the other within a second", async () => {
    const ca = new Redis(a.port, "127.0.0.1");
    const cb = new Redis(b.port, "127.0.0.1");
    try {
      await ca.call("WASM.LOADB", "greet", Buffer.from(constant("v1")));
      expect(await cb.call("WASM.CALL", "greet")).toBe("v1");
      for (const version of ["v2", "v3", "v4"]) {
        await ca.call("WASM.LOADB", "greet", Buffer.from(constant(version)), "REPLACE");
        const deployed = performance.now();
        while ((await cb.call("WASM.CALL", "greet")) !== version) await new Promise((r) => setTimeout(r, 2));
        expect(performance.now() - deployed).toBeLessThan(1000);
      }
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
  });
});
