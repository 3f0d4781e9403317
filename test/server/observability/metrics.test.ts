// `[server] metrics_port`: Prometheus text on http://127.0.0.1:PORT/metrics, parsed here with a
// Prometheus text-format parser, counting exactly what the test did.
import { execFile } from "node:child_process";
import net from "node:net";
import parsePrometheus from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient } from "../../../server/client.js";
import { startServer } from "../../../server/index.js";
import { DURATION_BUCKETS } from "../../../server/observability/index.js";
import { buildFixture } from "../../helpers/asc.js";
import { startRedis, type RedisProcess } from "../../helpers/redis.js";
import { ECHO_WASM, KV_WASM, startTestServer, type TestServer } from "../../helpers/server.js";

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The official Prometheus client's parser (Debian's python3-prometheus-client): every sample, labels intact. */
const PY_PARSE = `import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value if s.value == s.value and abs(s.value) != float("inf") else str(s.value)} for s in f.samples]} for f in text_string_to_metric_families(sys.stdin.read())]))`;

function parseOfficial(text: string): Promise<{ name: string; type: string; samples: Sample[] }[]> {
  return new Promise((resolve, reject) => {
    const child = execFile("/usr/bin/python3", ["-c", PY_PARSE], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      {
        if (err) return reject(new Error(`the Prometheus parser refused /metrics: ${stderr || err.message}`));
        // JSON has no NaN or Inf (a summary with no observations reports NaN quantiles): they come as "nan", "inf", "-inf".
        try {
          const families = JSON.parse(stdout) as { name: string; type: string; samples: (Omit<Sample, "value"> & { value: number | string })[] }[];
          resolve(families.map((f) => ({ ...f, samples: f.samples.map((x) => ({ ...x, value: typeof x.value === "number" ? x.value : x.value === "inf" ? Infinity : x.value === "-inf" ? -Infinity : NaN })) })));
        } catch (e) {
          reject(e);
        }
      },
    );
    child.stdin!.end(text);
  });
}

interface Scrape {
  families: Map<string, Family>;
  samples: Sample[];
}

/** /metrics through both parsers: parse-prometheus-text-format (npm) and the official Python one. */
async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheus(text) as Family[];
  const official = await parseOfficial(text);
  return { families: new Map(families.map((f) => [f.name, f])), samples: official.flatMap((f) => f.samples) };
}

const sample = (s: Sample[], name: string, labels: Record<string, string>) =>
  s.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;

const value = (f: Family | undefined, labels: Record<string, string>) =>
  Number(f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);

let t: TestServer;
let client: FerriteClient;
beforeAll(async () => {
  t = await startTestServer({ server: { metrics_port: 0 } });
  client = new FerriteClient(t.server.url);
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await t?.close();
});

describe("/metrics", () => {
  test("counts calls by function and outcome, their durations, loads, and memory", async () => {
    await client.wasmLoadB("echo", ECHO_WASM);
    await client.wasmLoadB("share", (await buildFixture("share")).wasm, { capabilities: ["read", "time", "random", "log"] });
    await expect(client.wasmLoadB("broken", new Uint8Array([0, 1, 2, 3]))).rejects.toThrow(/cannot load 'broken'/);
    await client.redis.set("zero", "0");
    for (let i = 0; i < 3; i++) await client.wasmCall("echo", [String(i)]);
    for (let i = 0; i < 2; i++) await expect(client.wasmCall("share", ["zero"])).rejects.toThrow(/trapped/);
    await expect(client.wasmCall("share", ["missing"])).rejects.toThrow(/no key 'missing'/);
    await expect(client.wasmCall("nope")).rejects.toThrow(/unknown function/);

    const { families: m, samples } = await scrape(t.server.metricsUrl!);
    const calls = m.get("ferrite_wasm_calls_total")!;
    expect(calls.type).toBe("COUNTER");
    expect(value(calls, { function: "echo", outcome: "ok" })).toBe(3);
    expect(value(calls, { function: "share", outcome: "trap" })).toBe(2);
    expect(value(calls, { function: "share", outcome: "guest" })).toBe(1);
    expect(calls.metrics.some((x) => x.labels?.function === "nope")).toBe(false); // nothing ran

    expect(m.get("ferrite_wasm_call_duration_seconds")!.type).toBe("HISTOGRAM");
    const h = "ferrite_wasm_call_duration_seconds";
    expect(sample(samples, `${h}_count`, { function: "echo" })).toBe(3);
    expect(sample(samples, `${h}_count`, { function: "share" })).toBe(3);
    expect(sample(samples, `${h}_bucket`, { function: "echo", le: "+Inf" })).toBe(3);
    expect(sample(samples, `${h}_sum`, { function: "echo" })).toBeGreaterThan(0);
    const buckets = samples.filter((x) => x.name === `${h}_bucket` && x.labels.function === "share");
    expect(buckets.map((b) => (b.labels.le === "+Inf" ? Infinity : Number(b.labels.le)))).toEqual([...DURATION_BUCKETS, Infinity]);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);

    const loads = m.get("ferrite_wasm_loads_total")!;
    expect(value(loads, { kind: "loadb", outcome: "ok" })).toBe(2);
    expect(value(loads, { kind: "loadb", outcome: "invalid_module" })).toBe(1);
    expect(value(m.get("ferrite_wasm_functions_loaded"), {})).toBe(2);
    expect(value(m.get("ferrite_wasm_function_memory_used_bytes"), { function: "echo" })).toBeGreaterThanOrEqual(65536);
    expect(value(m.get("process_resident_memory_bytes"), {})).toBeGreaterThan(0);
    expect(m.has("ferrite_wasm_store_round_trips_total")).toBe(false); // memory store
  });

  test("CONFIG GET metrics-port tells the port picked; other paths are 404", async () => {
    const port = new URL(t.server.metricsUrl!).port;
    expect(await t.cli(["CONFIG", "GET", "metrics-port"])).toBe(`metrics-port\n${port}`);
    const res = await fetch(t.server.metricsUrl!.replace("/metrics", "/other"));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("not found: Prometheus metrics are at /metrics\n");
  });

  test("a port in use stops the start with the port and the fix", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startServer({ config: { server: { port: 0, metrics_port: port } } })).rejects.toThrow(
        `cannot serve metrics on 127.0.0.1:${port}: that port is in use; choose another ([server] metrics_port, --metrics-port)`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe("/metrics over a Redis store", () => {
  let redis: RedisProcess;
  let s: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer({ server: { metrics_port: 0, store: redis.url } });
  });
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  test("counts the store round trips functions made", async () => {
    const c = new FerriteClient(s.server.url);
    try {
      await c.wasmLoadB("kv_set", KV_WASM, { capabilities: ["read", "write"] });
      await c.wasmLoadB("kv_get", KV_WASM, { capabilities: ["read"] });
      await c.wasmCall("kv_set", ["a", "1"]);
      await c.wasmCall("kv_get", ["a"]);
      await c.wasmCall("kv_get", ["b"]);
      const { families: m } = await scrape(s.server.metricsUrl!);
      const trips = m.get("ferrite_wasm_store_round_trips_total")!;
      expect(value(trips, { op: "get" })).toBe(2);
      expect(value(trips, { op: "apply" })).toBe(1);
      expect(value(m.get("ferrite_wasm_store_conflicts_total"), {})).toBe(0);
    } finally {
      await c.quit();
    }
  });
});
