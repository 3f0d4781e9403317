// ferrite_http in the server: fetch through the worker bridge, only for allow-listed hosts, bounded
// by the call's remaining time; and a vitest mock standing in for the network.
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { FerriteClient } from "../../server/client.js";
import type { HttpHandler } from "../../runtime-sim/options.js";
import { buildFixture } from "../helpers/asc.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// The HTTP server runs in its own thread: the ferrite server's thread blocks while a function waits
// for its answer, so a server on that same thread could never reply. Loopback only.
const UPSTREAM = String.raw`
const { parentPort } = require("node:worker_threads");
const http = require("node:http");
const server = http.createServer((req, res) => {
  if (req.url === "/slow") return; // never answers
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.url === "/redirect") { res.writeHead(302, { location: "http://example.com/" }); return res.end(); }
    res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
    res.end(JSON.stringify({ method: req.method, url: req.url, body }));
  });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", () => server.close(() => process.exit(0)));
`;

let upstream: Worker;
let port: number;
let httpCall: Uint8Array;
beforeAll(async () => {
  httpCall = (await buildFixture("http")).wasm;
  upstream = new Worker(UPSTREAM, { eval: true });
  port = await new Promise<number>((resolve) => upstream.once("message", resolve));
});
afterAll(async () => {
  await upstream?.terminate();
});

async function serverWith(options: Parameters<typeof startTestServer>[1] = {}) {
  const t = await startTestServer({ wasm: { http_allowed_hosts: [`127.0.0.1:${port}`] } }, options);
  const client = new FerriteClient(t.server.url);
  // Generous: a worker's first fetch is slow when the machine is busy. httpSlow has a tight limit.
  await client.wasmLoadB("httpCall", httpCall, { capabilities: ["http"], timeoutMs: 5000 });
  await client.redis.call("WASM.LOADB", "httpSlow", Buffer.from(httpCall), "CAPABILITIES", "http", "TIMEOUT", "500");
  return { t, client, close: async () => (await client.quit(), await t.close()) };
}

describe("fetch bridge", () => {
  let s: Awaited<ReturnType<typeof serverWith>>;
  beforeAll(async () => (s = await serverWith()));
  afterAll(() => s?.close());
  const call = async (url: string) => JSON.parse((await s.client.wasmCall("httpCall", [url]))!);

  test("an allow-listed HTTP server on 127.0.0.1 answers", async () => {
    const r = await call(`http://127.0.0.1:${port}/echo`);
    expect(r.status).toBe(200);
    expect(r.headers["x-upstream"]).toBe("yes");
    expect(JSON.parse(r.body)).toEqual({ method: "POST", url: "/echo", body: '{"hello":"world"}' });
  });

  test("a host that is not allow-listed is refused before any request", async () => {
    const r = await call("http://localhost:1/");
    expect(r).toMatchObject({ status: 0, error: "host 'localhost:1' is not in the http allow-list; add it to [wasm] http_allowed_hosts" });
    expect((await call("https://api.example.com/echo")).error).toMatch(/not in the http allow-list/);
  });

  test("a redirect is handed back, not followed", async () => {
    const r = await call(`http://127.0.0.1:${port}/redirect`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe("http://example.com/");
  });

  test("a request that never answers is bounded by the call's timeout", async () => {
    // The reply says the call's time ran out; how fast it comes is http.timing.test.ts's.
    const reply = await s.client.wasmCall("httpSlow", [`http://127.0.0.1:${port}/slow`]).catch((e: Error) => e.message);
    // Either the function saw the failed request, or the call ran out of time right after it.
    expect(String(reply)).toMatch(/no answer from 127\.0\.0\.1:\d+ within \d+ ms|function 'httpSlow' timed out after 500 ms/);
  });
});

test("a vitest mock answers ferrite_http instead of the network", async () => {
  const mock = vi.fn<HttpHandler>(() => ({ status: 201, headers: { "x-mock": "1" }, body: "mocked" }));
  const s = await serverWith({ runtime: { http: mock } });
  try {
    const r = JSON.parse((await s.client.wasmCall("httpCall", [`http://127.0.0.1:${port}/anything`]))!);
    expect(r).toMatchObject({ status: 201, body: "mocked", headers: { "x-mock": "1" } });
    expect(mock).toHaveBeenCalledTimes(1);
    const [request, context] = mock.mock.calls[0];
    expect(request).toMatchObject({ method: "POST", url: `http://127.0.0.1:${port}/anything`, body: '{"hello":"world"}' });
    expect(context).toMatchObject({ function: "httpCall" });
    expect(context!.remainingMs).toBeGreaterThan(0);
    expect(context!.remainingMs).toBeLessThanOrEqual(5000);
    // The allow-list still applies in front of the mock.
    expect(JSON.parse((await s.client.wasmCall("httpCall", ["https://elsewhere.example/"]))!).error).toMatch(/not in the http allow-list/);
    expect(mock).toHaveBeenCalledTimes(1);
  } finally {
    await s.close();
  }
});
