// The wall-clock half of http.test.ts's "a request that never answers is bounded by the call's
// timeout": the call ends within 1.5 s of a 500 ms TIMEOUT. A timing test (run alone).
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { buildFixture } from "../helpers/asc.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// An HTTP server that never answers, in its own thread (the ferrite server's thread blocks while a
// function waits for its answer).
const UPSTREAM = String.raw`
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
const server = http.createServer(() => {});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

let upstream: Worker;
let t: TestServer;
let client: FerriteClient;
let slowUrl: string;
beforeAll(async () => {
  const httpCall = (await buildFixture("http")).wasm;
  upstream = new Worker(UPSTREAM, { eval: true });
  const port = await new Promise<number>((resolve) => upstream.once("message", resolve));
  t = await startTestServer({ wasm: { http_allowed_hosts: [`127.0.0.1:${port}`] } });
  client = new FerriteClient(t.server.url);
  await client.redis.call("WASM.LOADB", "httpSlow", Buffer.from(httpCall), "CAPABILITIES", "http", "TIMEOUT", "500");
  slowUrl = `http://127.0.0.1:${port}/slow`;
});
afterAll(async () => {
  await client?.quit();
  await t?.close();
  await upstream?.terminate();
});

test("a request that never answers ends the call within 1.5 s of its 500 ms timeout", async () => {
  const started = performance.now();
  const reply = await client.wasmCall("httpSlow", [slowUrl]).catch((e: Error) => e.message);
  const ms = performance.now() - started;
  expect(String(reply)).toMatch(/no answer from 127\.0\.0\.1:\d+ within \d+ ms|function 'httpSlow' timed out after 500 ms/);
  expect(ms).toBeLessThan(1500);
});
