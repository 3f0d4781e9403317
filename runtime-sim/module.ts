// A module made ready to run: checked against ABI v1, instrumented, compiled. Cached by content
// hash, so loading the same bytes again (RELOAD, REPLACE, another name) costs a map lookup.
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { checkBinary, checkImports, inspect, type ModuleInfo } from "./abi/validate.js";
import { discardBinaryen, instrument, loadBinaryen, type InstrumentReport } from "./instrument/index.js";
import { FerriteError } from "./errors.js";

export interface PreparedModule {
  sha256: string;
  size: number;
  info: ModuleInfo;
  report: InstrumentReport;
  /** The instrumented module that runs. */
  compiled: WebAssembly.Module;
  /** The module as loaded, for replaying a trap to find its source position. */
  original: WebAssembly.Module;
  /** Time spent checking and instrumenting, in ms. */
  prepareMs: number;
}

const CACHE_LIMIT = 256;
const cache = new Map<string, Promise<PreparedModule>>();

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function prepareModule(bytes: Uint8Array): Promise<PreparedModule> {
  const hash = sha256(bytes);
  let entry = cache.get(hash);
  if (entry) {
    cache.delete(hash); // keep most recently used last
    cache.set(hash, entry);
    return entry;
  }
  entry = prepare(bytes, hash);
  cache.set(hash, entry);
  entry.catch(() => cache.delete(hash));
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return entry;
}

async function prepare(bytes: Uint8Array, hash: string): Promise<PreparedModule> {
  const start = performance.now();
  const original = checkBinary(bytes); // V8 validates first, so binaryen only sees valid modules
  checkImports(original);
  const api = await loadBinaryen();
  const b = api.b;
  let mod: ReturnType<typeof b.readBinaryWithFeatures>;
  try {
    mod = b.readBinaryWithFeatures(bytes, b.Features.All);
  } catch (e) {
    throw binaryenFailure(e);
  }
  try {
    const info = inspect(b, mod);
    const report = instrument(api, mod, info.memory.name, bytes);
    b.setDebugInfo(true); // keep the name section: stack traces then name the guest's functions
    const out = mod.emitBinary();
    let compiled: WebAssembly.Module;
    try {
      compiled = await WebAssembly.compile(out as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new FerriteError("ERR_INVALID_MODULE", `the runtime could not instrument this module (${(e as Error).message}); please report it with the module attached`);
    }
    return { sha256: hash, size: bytes.byteLength, info, report, compiled, original, prepareMs: performance.now() - start };
  } catch (e) {
    throw binaryenFailure(e);
  } finally {
    try {
      mod.dispose();
    } catch {
      // binaryen already aborted: nothing to free
    }
  }
}

function binaryenFailure(e: unknown): unknown {
  if (e instanceof FerriteError) return e;
  if (e instanceof Error && e.message.startsWith("Aborted(")) discardBinaryen();
  return new FerriteError("ERR_INVALID_MODULE", `the runtime could not read this module for instrumentation (${(e as Error).message}); if V8 accepts it, please report it with the module attached`);
}
