// Prometheus metrics. A call only adds to plain counters here (a few ns); prom-client, which writes
// the exposition format, reads them when /metrics is scraped. Its own labelled counters cost about
// 0.3 µs per update, a third of a whole call, so they are not used on the call path.
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Upper bounds of the duration histogram's buckets, in seconds (50 µs to 10 s). */
export const DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const BUCKETS_MS = DURATION_BUCKETS.map((s) => s * 1000);

class FunctionCalls {
  readonly outcomes = new Map<string, number>();
  ok = 0;
  /** Per bucket (not cumulative); the last is +Inf. */
  readonly buckets = new Float64Array(BUCKETS_MS.length + 1);
  sumMs = 0;
  count = 0;
}

/** "ERR_TRAP" -> "trap": the outcome label, from the error's code. */
export const outcomeLabel = (code: string): string => code.replace(/^ERR_/, "").toLowerCase();

export class CallMetrics {
  readonly #fns = new Map<string, FunctionCalls>();
  readonly #loads = new Map<string, number>();

  /** One call: "ok" or its error code, and how long it took. */
  call(name: string, code: string | null, ms: number): void {
    let f = this.#fns.get(name);
    if (f === undefined) this.#fns.set(name, (f = new FunctionCalls()));
    if (code === null) f.ok++;
    else f.outcomes.set(code, (f.outcomes.get(code) ?? 0) + 1);
    let b = 0;
    while (b < BUCKETS_MS.length && ms > BUCKETS_MS[b]) b++;
    f.buckets[b]++;
    f.sumMs += ms;
    f.count++;
  }

  /** One deploy (load, loadb, reload, rollback): "ok" or its error code. */
  load(kind: string, code: string | null): void {
    const key = `${kind}\0${code === null ? "ok" : outcomeLabel(code)}`;
    this.#loads.set(key, (this.#loads.get(key) ?? 0) + 1);
  }

  /** Calls by function and outcome label. */
  *calls(): Generator<[fn: string, outcome: string, n: number]> {
    for (const [fn, f] of this.#fns) {
      if (f.ok > 0) yield [fn, "ok", f.ok];
      for (const [code, n] of f.outcomes) yield [fn, outcomeLabel(code), n];
    }
  }

  *loads(): Generator<[kind: string, outcome: string, n: number]> {
    for (const [key, n] of this.#loads) {
      const [kind, outcome] = key.split("\0");
      yield [kind, outcome, n];
    }
  }

  *durations(): Generator<[fn: string, cumulative: number[], sumSeconds: number, count: number]> {
    for (const [fn, f] of this.#fns) {
      const cumulative: number[] = [];
      let total = 0;
      for (const n of f.buckets) cumulative.push((total += n));
      yield [fn, cumulative, f.sumMs / 1000, f.count];
    }
  }
}

/** What /metrics reports besides the calls. */
export interface MetricsSources {
  calls: CallMetrics;
  /** Peak linear memory per loaded function (WASM.STATS memory_used_bytes). */
  memory(): Iterable<[fn: string, bytes: number]>;
  functionsLoaded(): number;
  /** Round trips to a Redis store by operation, and commits refused because a read changed; null with the memory store. */
  store(): { roundTrips: Record<string, number>; conflicts: number } | null;
}

/** A prom-client registry over the sources: the library writes the text format. */
export async function metricsRegistry(src: MetricsSources) {
  const client = await import("prom-client");
  const register = new client.Registry();
  client.collectDefaultMetrics({ register });
  new client.Counter({
    name: "ferrite_wasm_calls_total",
    help: "Function calls by function and outcome: ok, or the error code without ERR_ in lower case (trap, timeout, guest, ...).",
    labelNames: ["function", "outcome"],
    registers: [register],
    collect() {
      this.reset();
      for (const [fn, outcome, n] of src.calls.calls()) this.inc({ function: fn, outcome }, n);
    },
  });
  register.registerMetric(durationHistogram(src.calls) as unknown as Parameters<typeof register.registerMetric>[0]);
  new client.Gauge({
    name: "ferrite_wasm_function_memory_used_bytes",
    help: "Most linear memory a function's instance has used, in bytes.",
    labelNames: ["function"],
    registers: [register],
    collect() {
      this.reset();
      for (const [fn, bytes] of src.memory()) this.set({ function: fn }, bytes);
    },
  });
  new client.Gauge({
    name: "ferrite_wasm_functions_loaded",
    help: "Functions loaded now.",
    registers: [register],
    collect() {
      this.set(src.functionsLoaded());
    },
  });
  new client.Counter({
    name: "ferrite_wasm_loads_total",
    help: "Deploys by kind (load, loadb, reload, rollback) and outcome (ok, or the error code).",
    labelNames: ["kind", "outcome"],
    registers: [register],
    collect() {
      this.reset();
      for (const [kind, outcome, n] of src.calls.loads()) this.inc({ kind, outcome }, n);
    },
  });
  if (src.store() !== null) {
    new client.Counter({
      name: "ferrite_wasm_store_round_trips_total",
      help: "Requests functions' reads and commits made to the Redis store, by operation.",
      labelNames: ["op"],
      registers: [register],
      collect() {
        this.reset();
        for (const [op, n] of Object.entries(src.store()?.roundTrips ?? {})) this.inc({ op }, n);
      },
    });
    new client.Counter({
      name: "ferrite_wasm_store_conflicts_total",
      help: "Commits to the Redis store refused because a key the call read had changed.",
      registers: [register],
      collect() {
        this.reset();
        this.inc(src.store()?.conflicts ?? 0);
      },
    });
  }
  return register;
}

/** A histogram metric read from CallMetrics; prom-client's registry formats it. */
function durationHistogram(calls: CallMetrics) {
  const name = "ferrite_wasm_call_duration_seconds";
  const help = "Call durations in seconds, by function.";
  return {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    reset() {},
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const [fn, cumulative, sum, count] of calls.durations()) {
        DURATION_BUCKETS.forEach((le, i) => values.push({ labels: { function: fn, le }, value: cumulative[i], metricName: `${name}_bucket` }));
        values.push({ labels: { function: fn, le: "+Inf" }, value: count, metricName: `${name}_bucket` });
        values.push({ labels: { function: fn }, value: sum, metricName: `${name}_sum` });
        values.push({ labels: { function: fn }, value: count, metricName: `${name}_count` });
      }
      return { name, help, type: "histogram", aggregator: "sum", values };
    },
  };
}

export interface MetricsServer {
  /** http://host:port/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics on host:port (0 picks a free port). */
export async function serveMetrics(src: MetricsSources, host: string, port: number): Promise<MetricsServer> {
  const register = await metricsRegistry(src);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("only GET /metrics is served here\n");
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: Prometheus metrics are at /metrics\n");
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { "content-type": register.contentType }).end(req.method === "HEAD" ? undefined : text),
      (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`cannot collect metrics: ${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const shown = a.address.includes(":") ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
