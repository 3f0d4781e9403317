// Loading a big module must not stop other clients: checking and instrumenting run on the prepare
// worker, compiling is asynchronous. Measured as another client's PING latency during the load
// (before: 2.4 s for 20,000 functions, 1.2 s for one 300,000-instruction function). The bounds
// are loose for a busy machine; bench/load.ts reports the p99 against its 50 ms target.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bigModule } from "../helpers/big-module.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../helpers/server.js";

let t: TestServer;
let loader: Redis;
let pinger: Redis;
beforeAll(async () => {
  t = await startTestServer();
  loader = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
  pinger = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
  // Start the prepare worker (and its binaryen) first: the test measures loads, not the first start.
  expect(await loader.call("WASM.LOADB", "echo", Buffer.from(ECHO_WASM))).toBe("OK");
});
afterAll(async () => {
  loader?.disconnect();
  pinger?.disconnect();
  await t?.close();
});

/** PINGs one after another while `work` runs; the latency of each. */
async function pingsDuring(work: Promise<unknown>): Promise<number[]> {
  let done = false;
  const finished = work.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const start = performance.now();
    expect(await pinger.ping()).toBe("PONG");
    latencies.push(performance.now() - start);
  }
  await finished;
  return latencies.sort((a, b) => a - b);
}

describe("other clients during a big load", () => {
  test.each([
    ["20,000 functions", bigModule({ functions: 20_000, filler: 0, salt: "stall-functions" })],
    ["one function of 300,000 instructions", bigModule({ functions: 1, filler: 75_000, salt: "stall-body" })],
  ])("%s: PING keeps answering", async (_what, wasm) => {
    const latencies = await pingsDuring(loader.call("WASM.LOADB", "big", Buffer.from(wasm), "REPLACE"));
    expect(await loader.call("WASM.CALL", "big")).toBeNull();
    expect(latencies.length).toBeGreaterThan(5); // the load took long enough to measure
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(100);
    expect(latencies.at(-1)).toBeLessThan(1000);
  });
});
