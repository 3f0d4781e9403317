// The functions tier over a real Redis, side by side in one run against the same redis-server:
//   1. WASM.CALL get1 through `serve --store redis://` vs EVALSHA GET on Redis itself (-c 50, unpipelined)
//   2. PING p99 on the same server while 50 clients' calls wait on Redis, vs idle, vs Redis's own PING
//   3. serve --workers 2 vs --workers 1 (WASM.CALL get1, -c 50)
//   4. commit by one Lua script vs WATCH/MULTI on pooled connections (increments, 50 callers)
//   5. why re-run instead of worker threads: one extra run of get1 vs one hop to a worker thread
// Servers are real `ferrite-wasm serve` processes (tsx cli/index.ts); traffic stays on 127.0.0.1 and
// every run is bounded by -n and a timeout.
// Run: npx tsx bench/scale.ts [--rounds 3] [--n 50000]
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { Redis } from "ioredis";
import pc from "picocolors";
import { createRuntime } from "../runtime-sim/index.js";
import { RedisStore, type CommitMode } from "../server/store/redis-store.js";
import { startRedis, type RedisProcess } from "../test/helpers/redis.js";
import { watFile } from "../test/helpers/wat.js";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    n: { type: "string", default: "50000" },
  },
  strict: false, // npm run bench passes every benchmark's flags
});
const ROUNDS = Math.max(1, Number(opts.rounds));
const RUN_TIMEOUT_MS = 180_000;
const ROOT = new URL("..", import.meta.url).pathname;
const GET1 = watFile(new URL("./fixtures/get.wat", import.meta.url));
const INCR = watFile(new URL("../test/server/fixtures/incr.wat", import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** Requests per second from redis-benchmark --csv (-c 50, unpipelined). */
async function benchmark(port: number, command: string[], n = opts.n): Promise<number> {
  const out = await run("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-n", n, "-q", "--csv", ...command]);
  const row = out.trim().split("\n").find((l) => !l.startsWith('"test"'));
  const rps = row ? Number(JSON.parse(`[${row}]`)[1]) : NaN;
  if (!Number.isFinite(rps)) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return rps;
}

interface Serve {
  port: number;
  stop(): Promise<void>;
}

/** `ferrite-wasm serve --json` as its own process; resolves once it prints its ready line. */
async function serve(args: string[]): Promise<Serve> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "cli/index.ts", "serve", "--port", "0", "--json", "--quiet", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve ${args.join(" ")} did not start`)), 60_000);
    child.stdout!.on("data", () => {
      const line = out.split("\n").find((l) => l.includes('"ready"'));
      if (line) (clearTimeout(timer), resolve(JSON.parse(line).port));
    });
    child.once("exit", (code) => reject(new Error(`serve ${args.join(" ")} exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

/** Latency percentiles (ms) of `count` PINGs sent one after another on one connection. */
async function pings(port: number, count: number): Promise<{ p50: number; p99: number }> {
  const c = new Redis(port, "127.0.0.1");
  const times: number[] = [];
  for (let i = 0; i < 100; i++) await c.ping();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await c.ping();
    times.push(performance.now() - t);
  }
  c.disconnect();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(count * 0.5)], p99: times[Math.floor(count * 0.99)] };
}

/** Increments per second by 50 concurrent callers through a runtime over the store. */
async function commits(redis: RedisProcess, mode: CommitMode, keys: number, total: number): Promise<{ rate: number; attempts: number }> {
  const store = await RedisStore.connect({ url: redis.url, commit: mode, timeoutMs: 10_000 });
  try {
    const rt = createRuntime({ asyncStore: store });
    await rt.load("incr", INCR, { capabilities: ["read", "write"], timeoutMs: 30_000 });
    let left = total;
    let attempts = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        while (left-- > 0) {
          const r = await rt.callAsync("incr", [`bench:${mode}:${keys}:${i % keys}`]);
          if (!r.ok) throw new Error(r.error!.message);
          attempts += r.attempts ?? 1;
        }
      }),
    );
    return { rate: total / ((performance.now() - t) / 1000), attempts: attempts / total };
  } finally {
    await store.close();
  }
}

/** The worker-thread road's floor: one message to a thread and its answer, per call. */
async function workerHopUs(n: number): Promise<number> {
  const w = new Worker(`const { parentPort } = require("node:worker_threads"); parentPort.on("message", (v) => parentPort.postMessage(v));`, { eval: true });
  const hop = () => new Promise<void>((resolve) => (w.once("message", () => resolve()), w.postMessage(1)));
  for (let i = 0; i < 1000; i++) await hop();
  const t = performance.now();
  for (let i = 0; i < n; i++) await hop();
  const us = ((performance.now() - t) / n) * 1000;
  await w.terminate();
  return us;
}

async function main(): Promise<void> {
  for (const bin of ["redis-server", "redis-benchmark", "redis-cli"]) {
    await run(bin, ["--version"]).catch(() => {
      throw new Error(`${bin} is not installed; install redis-server and redis-tools (apt-get install -y redis-server redis-tools)`);
    });
  }
  const redis = await startRedis();
  const servers: Serve[] = [];
  try {
    await redis.cli(["SET", "bench:key", "0123456789abcdef"]);
    const sha = (await redis.cli(["SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"])).trim();
    const one = await serve(["--store", redis.url]);
    servers.push(one);
    const deployer = new Redis(one.port, "127.0.0.1");
    await deployer.call("WASM.LOADB", "get1", Buffer.from(GET1), "CAPABILITIES", "read");
    deployer.disconnect();
    const two = await serve(["--store", redis.url, "--workers", "2"]); // serves get1 from the store's registry
    servers.push(two);

    // 1 and 3: interleaved rounds, median kept.
    const rows = [
      { label: "ferrite WASM.CALL get1 (store=redis)", port: one.port, command: ["WASM.CALL", "get1", "bench:key"] },
      { label: "redis EVALSHA (GET) 1 key", port: redis.port, command: ["EVALSHA", sha, "1", "bench:key"] },
      { label: "ferrite --workers 2 WASM.CALL get1", port: two.port, command: ["WASM.CALL", "get1", "bench:key"] },
    ];
    for (const r of rows) await benchmark(r.port, r.command, "5000"); // warm-up: JIT, connections
    const samples = new Map<string, number[]>(rows.map((r) => [r.label, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of rows) samples.get(r.label)!.push(await benchmark(r.port, r.command));
    }
    const rps = new Map(rows.map((r) => [r.label, median(samples.get(r.label)!)]));
    console.log(pc.bold(`\nfunctions over a Redis store, -c 50 unpipelined (median of ${ROUNDS})`));
    for (const r of rows) console.log(`  ${r.label.padEnd(40)} ${rps.get(r.label)!.toFixed(0).padStart(9)} req/s`);
    const getRatio = rps.get(rows[0].label)! / rps.get(rows[1].label)!;
    const workerRatio = rps.get(rows[2].label)! / rps.get(rows[0].label)!;

    // 2: PING while 50 clients' calls wait on Redis.
    const idle = await pings(one.port, 2000);
    const busyRun = benchmark(one.port, ["WASM.CALL", "get1", "bench:key"], String(Number(opts.n) * 2));
    await new Promise((r) => setTimeout(r, 200));
    const busy = await pings(one.port, 2000);
    await busyRun;
    const redisRun = benchmark(redis.port, ["EVALSHA", sha, "1", "bench:key"], String(Number(opts.n) * 4));
    await new Promise((r) => setTimeout(r, 200));
    const redisBusy = await pings(redis.port, 2000);
    await redisRun;
    console.log(pc.bold("\nPING latency on one connection (2000 PINGs, ms)"));
    console.log(`  ferrite idle                               p50 ${idle.p50.toFixed(3)}  p99 ${idle.p99.toFixed(3)}`);
    console.log(`  ferrite while 50 clients call get1         p50 ${busy.p50.toFixed(3)}  p99 ${busy.p99.toFixed(3)}`);
    console.log(`  redis while 50 clients run EVALSHA GET     p50 ${redisBusy.p50.toFixed(3)}  p99 ${redisBusy.p99.toFixed(3)}`);

    // 4: the two commit strategies, without and with contention.
    console.log(pc.bold("\ncommits (50 callers in one process, incr = GET + SET checked at commit)"));
    for (const keys of [50, 1]) {
      for (const mode of ["script", "watch"] as const) {
        const r = await commits(redis, mode, keys, 5000);
        console.log(`  ${mode.padEnd(7)} ${keys === 1 ? "one hot key " : "50 keys     "} ${r.rate.toFixed(0).padStart(7)} commits/s  ${r.attempts.toFixed(2)} attempts per commit`);
      }
    }

    // 5: what a re-run costs vs what a hop to a worker thread costs.
    const rt = createRuntime();
    await rt.load("get1", GET1, { capabilities: ["read"] });
    rt.store.apply([{ key: Buffer.from("bench:key"), value: Buffer.from("0123456789abcdef") }]);
    for (let i = 0; i < 5000; i++) rt.call("get1", ["bench:key"]);
    const t = performance.now();
    for (let i = 0; i < 50_000; i++) rt.call("get1", ["bench:key"]);
    const runUs = ((performance.now() - t) / 50_000) * 1000;
    const hopUs = await workerHopUs(20_000);
    console.log(pc.bold("\nre-run vs worker threads (per call, in process)"));
    console.log(`  one more run of get1 (what a missed key costs)   ${runUs.toFixed(2)} us`);
    console.log(`  one round trip to a worker thread               ${hopUs.toFixed(2)} us`);

    console.log(pc.bold("\ntargets"));
    const mark = (ok: boolean) => (ok ? pc.green("PASS") : pc.red("MISS"));
    console.log(`  ${mark(getRatio >= 0.5)} WASM.CALL get1 (store=redis) vs EVALSHA GET: ${getRatio.toFixed(2)}x (target >= 0.5x)`);
    console.log(`  ${pc.cyan("INFO")} --workers 2 vs --workers 1: ${workerRatio.toFixed(2)}x (2 cores, shared with redis-server and redis-benchmark)`);
    console.log(`  ${pc.cyan("INFO")} PING p99 while calls wait on Redis: ${busy.p99.toFixed(3)} ms (idle ${idle.p99.toFixed(3)} ms)`);
  } finally {
    for (const s of servers) await s.stop();
    await redis.stop();
  }
}

main().catch((e) => {
  console.error(pc.red((e as Error).message));
  process.exitCode = 1;
});
