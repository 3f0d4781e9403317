// What observing calls costs on the call path, each beside the same call without it, in this run:
// - the flight recorder's recording (reads, time/random/http answers kept while a call runs) on
//   the 16 B echo and on a call that reads a key: target <= 1.05x, nothing built on success
// - everything the server does after a call (log ring event, metrics counters, slow log check)
import { createRuntime, MemoryStore } from "../runtime-sim/index.js";
import { Observability, OBSERVABILITY_DEFAULTS } from "../server/observability/index.js";
import { buildFixture } from "../test/helpers/asc.js";
import { performance } from "node:perf_hooks";
import { table, type Sample } from "./lib.js";
import { guests } from "./guests.js";

const g = await guests();
const keys = (await buildFixture("keys")).wasm;
const store = new MemoryStore();
store.set("k", "0123456789abcdef");
const rt = createRuntime({ store, defaults: { capabilities: ["read", "log"] } });
await rt.load("echo", g.echo);
await rt.load("keys", keys, { capabilities: ["read"] });

const s16 = ["0123456789abcdef"];
const getK = ["get", "k"];
// Both sides pass a constant options object, as the server does (Observability.callOptions).
const PLAIN = {} as const;
const RECORD = { record: true } as const;
for (const [name, args] of [["echo", s16], ["keys", getK]] as const) {
  const r = rt.call(name, args, RECORD);
  if (!r.ok || r.recorded !== undefined) throw new Error(`bench call ${name} failed or built a record: ${r.error?.message}`);
}

const observe = new Observability({
  settings: {
    slowlogLogSlowerThan: OBSERVABILITY_DEFAULTS.slowlog_log_slower_than,
    slowlogMaxLen: OBSERVABILITY_DEFAULTS.slowlog_max_len,
    logsMaxLen: OBSERVABILITY_DEFAULTS.logs_max_len,
    recorderMaxLen: OBSERVABILITY_DEFAULTS.flight_recorder_max_len,
    recorderMaxBytes: 1024 * 1024,
  },
  versionOf: () => 1,
});
const command = [Buffer.from("WASM.CALL"), Buffer.from("echo"), Buffer.from(s16[0])];
const origin = { command, client: { addr: "127.0.0.1:50000", name: null }, via: "wasm.call" };

/**
 * Median ns per call of `base` and `other`, timed in alternating batches so that a busy machine
 * (other processes on the same cores) slows both sides of a row alike.
 */
function pair(names: [string, string], base: () => unknown, other: () => unknown, { batch = 2_000, samples = 101 } = {}): [Sample, Sample] {
  for (let i = 0; i < 10 * batch; i++) (base(), other());
  const a: number[] = [];
  const b: number[] = [];
  const time = (f: () => unknown) => {
    const t = performance.now();
    for (let i = 0; i < batch; i++) f();
    return ((performance.now() - t) * 1e6) / batch;
  };
  for (let s = 0; s < samples; s++) {
    a.push(time(base));
    b.push(time(other));
  }
  const median = (x: number[]) => x.sort((p, q) => p - q)[Math.floor(x.length / 2)];
  return [{ name: names[0], ns: median(a) }, { name: names[1], ns: median(b) }];
}

const [echoOff, echoOn] = pair(["echo 16 B, recording off", "echo 16 B, recording on"], () => rt.call("echo", s16, PLAIN), () => rt.call("echo", s16, RECORD));
const [getOff, getOn] = pair(["get 1 key, recording off", "get 1 key, recording on"], () => rt.call("keys", getK, PLAIN), () => rt.call("keys", getK, RECORD));
const [plain, served] = pair(
  ["echo 16 B, runtime call only", "echo 16 B + the server's observability (event, metrics, slow log check; recording on)"],
  () => rt.call("echo", s16, PLAIN),
  () => observe.called("echo", rt.call("echo", s16, RECORD), origin),
);

table("Flight recorder: recording on the call path (successful calls)", [
  { ...echoOff },
  { ...echoOn, base: echoOff.ns, target: "<= 1.05x" },
  { ...getOff },
  { ...getOn, base: getOff.ns, target: "<= 1.05x" },
]);
table("Observability after each call (what the server adds to WASM.CALL)", [{ ...plain }, { ...served, base: plain.ns }]);
