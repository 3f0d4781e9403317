// Other clients while a big module loads (issue 9 item 4): PING latency from 4 clients over RESP
// while another client sends WASM.LOADB of a 1 MB module, beside the same clients' PING latency with
// nothing loading, in the same run. Checking and instrumenting run on the prepare worker and the
// compile is asynchronous, so the event loop keeps answering. Target: p99 under 50 ms.
// Also: a load whose prepared module is on disk (a new process, second `ferrite-wasm call`).
// Run: npx tsx bench/load.ts [--loads 5]
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { startServer } from "../server/index.js";
import { bigModule } from "../test/helpers/big-module.js";
import { ECHO_WASM } from "../test/helpers/server.js";

const { values: opts } = parseArgs({ options: { loads: { type: "string", default: "5" } }, strict: false }); // npm run bench passes its own flags too
const LOADS = Math.max(1, Number(opts.loads));
const PINGERS = 4;

const server = await startServer({ config: { server: { port: 0 }, wasm: { plugins_dir: os.tmpdir() } } });
const loader = new Redis(server.port, "127.0.0.1");
const pingers = Array.from({ length: PINGERS }, () => new Redis(server.port, "127.0.0.1"));

/** Each pinger sends PING after PING until `until` settles; every latency in ms. */
async function pingUntil(until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  await Promise.all(
    pingers.map(async (r) => {
      while (!done) {
        const t = performance.now();
        await r.ping();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

try {
  await loader.call("WASM.LOADB", "echo", Buffer.from(ECHO_WASM)); // the worker is started, as in a running server
  const modules = Array.from({ length: LOADS }, (_, i) => bigModule({ functions: 4_000, filler: 36, salt: `bench-load-${process.pid}-${i}` }));
  const size = modules[0].byteLength;

  const loadTimes: number[] = [];
  const during: number[] = [];
  const idle: number[] = [];
  for (const wasm of modules) {
    // Baseline: the same clients, nothing loading, for as long as a load took last time (1 s at first).
    const quiet = new Promise((r) => setTimeout(r, loadTimes.at(-1) ?? 1000));
    idle.push(...(await pingUntil(quiet)));
    const t = performance.now();
    during.push(...(await pingUntil(loader.call("WASM.LOADB", "big", Buffer.from(wasm), "REPLACE"))));
    loadTimes.push(performance.now() - t);
  }

  // The load a new process sees when its prepared module is cached on disk (the CLI's second call).
  const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-bench-cache-"));
  const { prepareModule } = await import("../runtime-sim/module.js");
  const { DiskCache } = await import("../runtime-sim/prepare/disk-cache.js");
  const cached = bigModule({ functions: 4_000, filler: 36, salt: `bench-cache-${process.pid}` });
  const t0 = performance.now();
  await prepareModule(cached, { cache: new DiskCache(dir) });
  const cold = performance.now() - t0;
  // A fresh module graph stands for the new process: its in-memory cache is empty.
  const fresh = `${new URL("../runtime-sim/module.js", import.meta.url).href}?fresh`;
  const { prepareModule: prepareFresh } = (await import(fresh)) as typeof import("../runtime-sim/module.js");
  const t1 = performance.now();
  const hit = await prepareFresh(cached, { cache: new DiskCache(dir) });
  const warm = performance.now() - t1;
  await rm(dir, { recursive: true, force: true });

  console.log(`\n## Other clients while a ${(size / 1024 / 1024).toFixed(2)} MB module (4,002 functions) loads: PING from ${PINGERS} clients`);
  console.log(`| case | PINGs | p50 | p99 | max | target |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| nothing loading (baseline) | ${idle.length} | ${ms(pct(idle, 50))} | ${ms(pct(idle, 99))} | ${ms(idle.reduce((a, b) => Math.max(a, b), 0))} | |`);
  console.log(`| during WASM.LOADB (median load ${ms(pct(loadTimes, 50))}) | ${during.length} | ${ms(pct(during, 50))} | ${ms(pct(during, 99))} | ${ms(during.reduce((a, b) => Math.max(a, b), 0))} | p99 < 50 ms |`);
  console.log(`\n## Loading that module: prepared vs from the disk cache`);
  console.log(`| case | time | vs prepared |`);
  console.log(`|---|---|---|`);
  console.log(`| checked + instrumented + compiled (worker) | ${ms(cold)} | baseline |`);
  console.log(`| read from the disk cache + compiled (${hit.origin}) | ${ms(warm)} | ${(warm / cold).toFixed(2)}x |`);
} finally {
  loader.disconnect();
  for (const p of pingers) p.disconnect();
  await server.close();
}
