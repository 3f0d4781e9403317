// The RESP server against a real Redis, side by side, with redis-benchmark (-c 50):
//   WASM.CALL noop      vs  FCALL noop 0 / EVALSHA <return nil> 0
//   WASM.CALL get1 key  vs  FCALL get1 1 key / EVALSHA <GET KEYS[1]> 1 key
// each unpipelined and with -P 16, interleaved over a few rounds (median kept).
// Targets: WASM.CALL -P16 >= 0.5x FCALL (noop); unpipelined >= 0.8x EVALSHA.
// Then memory under a client that pipelines 20,000 GETs of a 1 MB value and never reads: ferrite's
// RSS beside redis-server's with the same client-output-buffer-limit.
// Run: npx tsx bench/server.ts [--rounds 3] [--n 50000] [--np 200000] [--store-redis]
// Traffic goes to 127.0.0.1 only; every run is bounded by -n and a timeout.
import { execFile } from "node:child_process";
import net from "node:net";
import { parseArgs } from "node:util";
import pc from "picocolors";
import { startServer, type FerriteServer } from "../server/index.js";
import { startRedis, type RedisProcess } from "../test/helpers/redis.js";
import { watFile } from "../test/helpers/wat.js";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    n: { type: "string", default: "100000" }, // unpipelined requests per run
    np: { type: "string", default: "200000" }, // pipelined requests per run
    "store-redis": { type: "boolean", default: false }, // also: WASM.CALL get1 with store = redis://
  },
  strict: false, // npm run bench passes every benchmark's flags
});
const ROUNDS = Math.max(1, Number(opts.rounds));
const RUN_TIMEOUT_MS = 120_000;
const VALUE = "0123456789abcdef";
const LIBRARY = `#!lua name=ferrite_bench
redis.register_function('noop', function(keys, args) return nil end)
redis.register_function('get1', function(keys, args) return redis.call('GET', keys[1]) end)`;

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    child.stdin!.on("error", () => {}); // a tool that exits without reading stdin (EPIPE) is not a failure
    child.stdin!.end(input ?? "");
  });
}

/** Requests per second from redis-benchmark --csv. */
async function benchmark(port: number, pipeline: number, command: string[]): Promise<number> {
  const n = pipeline > 1 ? opts.np : opts.n;
  const out = await run("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-n", n, "-P", String(pipeline), "-q", "--csv", ...command]);
  const row = out.trim().split("\n").find((l) => !l.startsWith('"test"'));
  const rps = row ? Number(JSON.parse(`[${row}]`)[1]) : NaN;
  if (!Number.isFinite(rps)) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return rps;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  label: string;
  port: () => number;
  command: string[];
}

async function main(): Promise<void> {
  for (const bin of ["redis-server", "redis-benchmark", "redis-cli"]) {
    await run(bin, ["--version"]).catch(() => {
      throw new Error(`${bin} is not installed; install redis-server and redis-tools (apt-get install -y redis-server redis-tools)`);
    });
  }
  let redis: RedisProcess | null = null;
  const servers: FerriteServer[] = [];
  try {
    redis = await startRedis();
    const r = redis;
    await r.cli(["SET", "bench:key", VALUE]);
    await run("redis-cli", ["-p", String(r.port), "-x", "FUNCTION", "LOAD", "REPLACE"], LIBRARY);
    const shaNoop = (await run("redis-cli", ["-p", String(r.port), "SCRIPT", "LOAD", "return nil"])).trim();
    const shaGet = (await run("redis-cli", ["-p", String(r.port), "SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"])).trim();

    const noop = watFile(new URL("./fixtures/noop.wat", import.meta.url));
    const get1 = watFile(new URL("./fixtures/get.wat", import.meta.url));
    const ferrite = await startServer({ config: { server: { port: 0 } } });
    servers.push(ferrite);
    await ferrite.runtime.load("noop", noop, { capabilities: [] });
    await ferrite.runtime.load("get1", get1, { capabilities: ["read"] });
    ferrite.keyspace.set(Buffer.from("bench:key"), Buffer.from(VALUE), {});

    const rows: Record<string, Row[]> = {
      noop: [
        { label: "ferrite WASM.CALL noop", port: () => ferrite.port, command: ["WASM.CALL", "noop"] },
        { label: "redis FCALL noop 0", port: () => r.port, command: ["FCALL", "noop", "0"] },
        { label: "redis EVALSHA (nil) 0", port: () => r.port, command: ["EVALSHA", shaNoop, "0"] },
      ],
      get: [
        { label: "ferrite WASM.CALL get1 key", port: () => ferrite.port, command: ["WASM.CALL", "get1", "bench:key"] },
        { label: "redis FCALL get1 1 key", port: () => r.port, command: ["FCALL", "get1", "1", "bench:key"] },
        { label: "redis EVALSHA (GET) 1 key", port: () => r.port, command: ["EVALSHA", shaGet, "1", "bench:key"] },
      ],
    };
    if (opts["store-redis"]) {
      const bridged = await startServer({ config: { server: { port: 0, store: r.url } } });
      servers.push(bridged);
      await bridged.runtime.load("get1", get1, { capabilities: ["read"] });
      rows.get.push({ label: "ferrite WASM.CALL get1 (store=redis)", port: () => bridged.port, command: ["WASM.CALL", "get1", "bench:key"] });
      // In-process calls one after another, no RESP in front: one ferrite_get each (a Redis round
      // trip with the Redis store; bench/scale.ts measures concurrent calls).
      const perCall = async (server: FerriteServer, n: number) => {
        for (let i = 0; i < 200; i++) await server.runtime.callAsync("get1", ["bench:key"]);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) if (!(await server.runtime.callAsync("get1", ["bench:key"])).ok) throw new Error("get1 failed");
        return ((performance.now() - t0) / n) * 1000;
      };
      const bridgedUs = await perCall(bridged, 5000);
      const memoryUs = await perCall(ferrite, 50000);
      console.log(pc.bold("\nin-process WASM.CALL get1 (one ferrite_get), one call at a time"));
      console.log(`  store=memory ${memoryUs.toFixed(1)} us/call; store=redis ${bridgedUs.toFixed(1)} us/call: ${(bridgedUs - memoryUs).toFixed(1)} us per ferrite_get round trip`);
    }

    const results = new Map<string, number>();
    for (const pipeline of [1, 16]) {
      for (const [scenario, list] of Object.entries(rows)) {
        const samples = new Map<string, number[]>(list.map((row) => [row.label, []]));
        for (let round = 0; round < ROUNDS; round++) {
          for (const row of list) samples.get(row.label)!.push(await benchmark(row.port(), pipeline, row.command)); // interleaved
        }
        console.log(pc.bold(`\n${scenario}, -c 50 ${pipeline > 1 ? `-P ${pipeline}` : "unpipelined"} (median of ${ROUNDS})`));
        const base = median(samples.get(list[0].label)!);
        for (const row of list) {
          const rps = median(samples.get(row.label)!);
          results.set(`${scenario}/${pipeline}/${row.label}`, rps);
          const ratio = row === list[0] ? "" : `  ferrite/this = ${(base / rps).toFixed(2)}x`;
          console.log(`  ${row.label.padEnd(40)} ${rps.toFixed(0).padStart(9)} req/s${ratio}`);
        }
      }
    }

    await neverReading(ferrite, r);

    console.log(pc.bold("\ntargets"));
    const target = (name: string, ours: string, theirs: string, min: number) => {
      const ratio = results.get(ours)! / results.get(theirs)!;
      const ok = ratio >= min;
      console.log(`  ${(ok ? pc.green("PASS") : pc.red("MISS"))} ${name}: ${ratio.toFixed(2)}x (target >= ${min}x)`);
    };
    target("WASM.CALL noop -P16 vs FCALL noop", "noop/16/ferrite WASM.CALL noop", "noop/16/redis FCALL noop 0", 0.5);
    target("WASM.CALL noop unpipelined vs EVALSHA", "noop/1/ferrite WASM.CALL noop", "noop/1/redis EVALSHA (nil) 0", 0.8);
    target("WASM.CALL get1 -P16 vs FCALL get1", "get/16/ferrite WASM.CALL get1 key", "get/16/redis FCALL get1 1 key", 0.5);
    target("WASM.CALL get1 unpipelined vs EVALSHA", "get/1/ferrite WASM.CALL get1 key", "get/1/redis EVALSHA (GET) 1 key", 0.8);
  } finally {
    for (const s of servers) await s.close();
    await redis?.stop();
  }
}

/** RSS with a client that pipelines 20,000 GETs of 1 MB and never reads, against redis-server with the same limit. */
async function neverReading(ferrite: FerriteServer, r: RedisProcess): Promise<void> {
  const MB = 1024 * 1024;
  const LIMIT = "normal 256mb 64mb 60"; // ferrite's default; Redis's is no limit at all for normal clients
  ferrite.keyspace.set(Buffer.from("bench:big"), Buffer.alloc(MB, 120), {});
  await r.cli(["CONFIG", "SET", "client-output-buffer-limit", LIMIT]);
  await run("redis-cli", ["-p", String(r.port), "-x", "SET", "bench:big"], "x".repeat(MB - 1));
  const flood = (port: number) =>
    new Promise<net.Socket>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.pause(); // never reads
        s.write("*2\r\n$3\r\nGET\r\n$9\r\nbench:big\r\n".repeat(20_000));
        resolve(s);
      });
      s.on("error", () => {});
    });
  const redisRss = async () => Number(/used_memory_rss:(\d+)/.exec(await r.cli(["INFO", "memory"]))![1]);
  const settle = () => new Promise((res) => setTimeout(res, 2000)); // the replies pile up, or stop, meanwhile

  const fBefore = process.memoryUsage().rss;
  const fs = await flood(ferrite.port);
  await settle();
  const fAfter = process.memoryUsage().rss;
  fs.destroy();

  const rBefore = await redisRss();
  const rs = await flood(r.port);
  await settle();
  const rAfter = await redisRss();
  const peak = Number(/used_memory_peak:(\d+)/.exec(await r.cli(["INFO", "memory"]))![1]);
  rs.destroy();

  console.log(pc.bold(`\na client pipelining 20,000 GETs of a 1 MB value, never reading (limit "${LIMIT}")`));
  console.log(`  ferrite RSS ${(fBefore / MB).toFixed(0)} MB -> ${(fAfter / MB).toFixed(0)} MB after 2 s (+${((fAfter - fBefore) / MB).toFixed(0)} MB: the client is no longer read; this process is the bench too)`);
  console.log(`  redis   RSS ${(rBefore / MB).toFixed(0)} MB -> ${(rAfter / MB).toFixed(0)} MB after 2 s, peak allocation ${(peak / MB).toFixed(0)} MB (it buffers up to the limit, then drops the client)`);
}

main().catch((e) => {
  console.error(pc.red((e as Error).message));
  process.exitCode = 1;
});
