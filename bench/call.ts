// Issue targets for one call on the simulator, each beside its baseline measured in this run:
// - the empty-call floor (a JS->wasm call of a function that does nothing) and the honest floor
//   (the same guest through plain WebAssembly exports: no isolation, metering or capability checks,
//   input written with encodeInto into a cached view, the reply copied out, and only the
//   allocator's offset reset between calls) vs the runtime's full call, 16 B and 1 KiB
// - metering overhead: the same module instrumented vs not, on a tight loop and on validate
// - load time (check + instrument + compile) of a ~30 KB module
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createRuntime } from "../runtime-sim/index.js";
import { prepareModule } from "../runtime-sim/module.js";
import { floor } from "./floor.js";
import { wat } from "../test/helpers/wat.js";
import { measure, measurePair, table, fmt } from "./lib.js";
import { guests } from "./guests.js";

const echoWat = wat(readFileSync(new URL("../test/fixtures/wat/echo.wat", import.meta.url), "utf8"));
const loopWat = wat(readFileSync(new URL("./fixtures/loop.wat", import.meta.url), "utf8"));
const g = await guests();

/** Instantiates a module with a bare host: the baseline has no checks, isolation or metering. */
function raw(module: WebAssembly.Module, entry: string) {
  // A new instance every 4096 calls: without isolation the guest's bump allocator only grows.
  let calls = 0;
  let call = rawInstance(module, entry);
  return (input: string | Uint8Array) => {
    if (++calls % 4096 === 0) call = rawInstance(module, entry);
    return call(input);
  };
}

function rawInstance(module: WebAssembly.Module, entry: string) {
  let mem!: Uint8Array;
  let out: Uint8Array | null = null;
  const bare = (..._: number[]) => 0;
  const env: Record<string, Function> = new Proxy({}, { get: (_t, name) => (name === "ferrite_return" ? (p: number, l: number) => (out = new Uint8Array(ex.memory.buffer, p, l).slice()) : bare) });
  const imports = { env, __ferrite: { refuel: () => 1 << 30, oom: () => { throw new Error("oom"); }, max_pages: new WebAssembly.Global({ value: "i32", mutable: false }, 65536) } };
  const instance = new WebAssembly.Instance(module, imports as any);
  const ex: any = instance.exports;
  const fuel = ex.__ferrite_fuel as WebAssembly.Global | undefined;
  const encoder = new TextEncoder();
  return (input: string | Uint8Array) => {
    mem = new Uint8Array(ex.memory.buffer);
    const bytes = typeof input === "string" ? encoder.encode(input) : input;
    const ptr = ex.ferrite_alloc(bytes.length);
    mem = new Uint8Array(ex.memory.buffer);
    mem.set(bytes, ptr);
    if (fuel) fuel.value = 1 << 30;
    ex[entry](ptr, bytes.length);
    return out;
  };
}

const s16 = "0123456789abcdef";
const s1k = "x".repeat(1024);
const email = JSON.stringify({ email: "someone@example.com" });

const rt = createRuntime({ defaults: { capabilities: ["read", "log"] } });
await rt.load("echo", g.echo);
await rt.load("validate", g.validate);
await rt.load("echo_wat", echoWat, { entry: "echo" });

const noop = new WebAssembly.Instance(new WebAssembly.Module(wat(`(module (func (export "noop")))`) as Uint8Array<ArrayBuffer>)).exports.noop as () => void;
const floorEcho = await floor(g.echo, "echo");
const floorValidate = await floor(g.validate, "validate");
const floorEchoWat = await floor(echoWat, "echo");
for (const [f, input] of [[floorEcho, s16], [floorEcho, s1k], [floorEchoWat, s16]] as const) {
  if (Buffer.from(f(input)!).toString() !== input) throw new Error("the honest floor does not echo its input");
}
if (!floorValidate(email)) throw new Error("the honest floor of validate returned nothing");

const empty = measure("empty JS->wasm call (floor of any call)", () => noop(), { batch: 100_000 });
const args16 = [s16];
const args1k = [s1k];
const argsVal = [email];
if (!rt.call("validate", argsVal).ok) throw new Error(String(rt.call("validate", argsVal).error));
// Each runtime row is measured in batches alternating with its floor, so both see the same machine
// (bench/lib.ts measurePair: the fastest tenth of each).
const [b16, c16] = measurePair("honest floor: echo 16 B (SDK)", () => floorEcho(s16), "runtime call: echo 16 B", () => rt.call("echo", args16));
const [b1k, c1k] = measurePair("honest floor: echo 1 KiB (SDK)", () => floorEcho(s1k), "runtime call: echo 1 KiB", () => rt.call("echo", args1k));
const [bval, cval] = measurePair("honest floor: validate (SDK, json-as)", () => floorValidate(email), "runtime call: validate", () => rt.call("validate", argsVal));
const [bwat, cwat] = measurePair("honest floor: echo 16 B (hand-written WAT)", () => floorEchoWat(s16), "runtime call: echo 16 B (WAT)", () => rt.call("echo_wat", args16));

table("Full call (isolated, metered, capability-checked) vs the honest floor", [
  { ...empty },
  { ...b16 },
  { ...c16, base: b16.ns, target: "<= 2x the honest floor" },
  { ...b1k },
  { ...c1k, base: b1k.ns, target: "<= 2x" },
  { ...bval },
  { ...cval, base: bval.ns, target: "<= 2x (the floor keeps json-as's state between calls; the runtime resets it)" },
  { ...bwat },
  { ...cwat, base: bwat.ns, target: "<= 2x" },
], "fastest tenth");

// Metering: instrumented vs original, both called raw (no isolation), so only the fuel counts.
const loopPrepared = await prepareModule(loopWat);
const valPrepared = await prepareModule(g.validate);
const loopOrig = raw(loopPrepared.original, "loop");
const loopInst = raw(loopPrepared.compiled, "loop");
const valOrig = raw(valPrepared.original, "validate");
const valInst = raw(valPrepared.compiled, "validate");
const one = new Uint8Array([1]); // 100,000 iterations
const [lo, li] = measurePair("tight loop, 100k iterations: original", () => loopOrig(one), "tight loop, 100k iterations: instrumented", () => loopInst(one), { batch: 5, samples: 101, warmup: 4 });
const [vo, vi] = measurePair("validate: original", () => valOrig(email), "validate: instrumented", () => valInst(email));
table("Metering overhead (instrumented vs not)", [
  lo,
  { ...li, base: lo.ns, target: "<= 2x" },
  vo,
  { ...vi, base: vo.ns, target: "<= 1.3x" },
], "fastest tenth");

// Load: check + instrument + compile, uncached (a custom section makes each copy's hash unique).
const big = g.large;
const loads: number[] = [];
for (let i = 0; i < 9; i++) {
  const name = new TextEncoder().encode(`bench${i}`);
  const section = new Uint8Array([0, name.length + 1, name.length, ...name]);
  const bytes = new Uint8Array(big.length + section.length);
  bytes.set(big);
  bytes.set(section, big.length);
  const t = performance.now();
  await prepareModule(bytes);
  loads.push(performance.now() - t);
}
loads.sort((a, b) => a - b);
const loadNs = loads[4] * 1e6;
console.log(`\n## Load (validate + instrument + compile), uncached`);
console.log(`| module | size | median | target |`);
console.log(`|---|---|---|---|`);
console.log(`| ${g.largeName} | ${(big.length / 1024).toFixed(1)} KB | ${fmt(loadNs)} | <= 200 ms |`);

// A large initial memory: load time and RSS growth of a module declaring 1 GiB (16384 pages) with
// one data byte, beside the same module declaring one page. Costs follow what the module writes.
const bigMemory = (pages: number, tag: string) =>
  wat(`(module (memory (export "memory") ${pages}) (data (i32.const 16) "${tag}")
    (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024)) (func (export "run") (param i32 i32) (result i32) (i32.const 0)))`);
async function loadCost(pages: number, tag: string): Promise<{ ms: number; rssMB: number }> {
  const memRt = createRuntime({ memoryBudget: "4GB" });
  const before = process.memoryUsage().rss;
  const t = performance.now();
  await memRt.load("run", bigMemory(pages, tag), { memory: pages * 65536 });
  if (!memRt.call("run").ok) throw new Error("the big-memory module did not run");
  const ms = performance.now() - t;
  const rssMB = (process.memoryUsage().rss - before) / 1024 / 1024;
  memRt.unload("run");
  return { ms, rssMB };
}
const small = await loadCost(1, "s");
const large = await loadCost(16384, "l");
console.log(`\n## Load of a large initial memory (check + instrument + compile + instantiate + one call)`);
console.log(`| module | load | RSS growth | target |`);
console.log(`|---|---|---|---|`);
console.log(`| (memory 1), baseline | ${fmt(small.ms * 1e6)} | ${small.rssMB.toFixed(1)} MB | |`);
console.log(`| (memory 16384) = 1 GiB, MEMORY 1GB | ${fmt(large.ms * 1e6)} | ${large.rssMB.toFixed(1)} MB | proportional to what it writes, not 1 GiB |`);
