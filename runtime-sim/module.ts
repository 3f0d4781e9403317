// A module made ready to run: checked against ABI v1, instrumented, compiled. The checking and
// instrumenting run on the prepare worker (prepare/pool.ts) and compiles are asynchronous, so the
// host's event loop keeps serving while a big module loads. Cached by content hash in memory, so
// loading the same bytes again (RELOAD, REPLACE, another name) costs a map lookup, and optionally
// on disk (prepare/disk-cache.ts), so a new process skips binaryen altogether.
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { ModuleInfo } from "./abi/validate.js";
import type { InstrumentReport } from "./instrument/index.js";
import { FerriteError } from "./errors.js";
import { DEFAULTS } from "./defaults.js";
import { humanBytes, parseMemoryLimit } from "./limits/memory.js";
import type { DiskCache } from "./prepare/disk-cache.js";
import { instrumentOffThread } from "./prepare/pool.js";
import { definedFunctions } from "./prepare/scan.js";

export interface PreparedModule {
  sha256: string;
  size: number;
  info: ModuleInfo;
  report: InstrumentReport;
  /** The instrumented module that runs. */
  compiled: WebAssembly.Module;
  /** The module as loaded, for replaying a trap to find its source position. */
  original: WebAssembly.Module;
  /** Time spent preparing (checking, instrumenting, compiling, or reading the disk cache), in ms. */
  prepareMs: number;
  /** "prepared" by the worker, or read from the "disk" cache. */
  origin: "prepared" | "disk";
}

export interface PrepareOptions {
  /** Where prepared modules are kept across processes; none by default. */
  cache?: DiskCache | null;
  /** Largest module accepted, in bytes (default: DEFAULTS.maxModuleSize). */
  maxModuleSize?: number;
  /** Most functions a module may define (default: DEFAULTS.maxModuleFunctions). */
  maxModuleFunctions?: number;
  /**
   * Instrument on this thread instead of the worker: for a command that serves no one meanwhile
   * and has binaryen loaded already (the CLI's build, which just ran the compiler), not for hosts.
   */
  inline?: boolean;
}

const CACHE_LIMIT = 256;
const cache = new Map<string, Promise<PreparedModule>>();

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function prepareModule(bytes: Uint8Array, options: PrepareOptions = {}): Promise<PreparedModule> {
  try {
    checkLimits(bytes, options);
  } catch (e) {
    return Promise.reject(e);
  }
  const hash = sha256(bytes);
  let entry = cache.get(hash);
  if (entry) {
    cache.delete(hash); // keep most recently used last
    cache.set(hash, entry);
    return entry;
  }
  entry = prepare(bytes, hash, options.cache ?? null, options.inline === true);
  cache.set(hash, entry);
  entry.catch(() => cache.delete(hash));
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return entry;
}

/** Size and function count, refused before any real work (the function count is read from the section headers). */
function checkLimits(bytes: Uint8Array, options: PrepareOptions): void {
  const maxSize = options.maxModuleSize ?? parseMemoryLimit(DEFAULTS.maxModuleSize);
  if (bytes.byteLength > maxSize) {
    throw new FerriteError(
      "ERR_MODULE_LIMIT",
      `the module is ${humanBytes(bytes.byteLength)} (${bytes.byteLength} bytes), above the module size limit of ${humanBytes(maxSize)} (max_module_size); build a smaller module (a release build, wasm-opt -Oz) or raise [wasm] max_module_size`,
      null,
      { size_bytes: bytes.byteLength, limit_bytes: maxSize },
    );
  }
  const maxFunctions = options.maxModuleFunctions ?? DEFAULTS.maxModuleFunctions;
  const functions = definedFunctions(bytes);
  if (functions !== null && functions > maxFunctions) {
    throw new FerriteError(
      "ERR_MODULE_LIMIT",
      `the module defines ${functions} functions, above the limit of ${maxFunctions} (max_module_functions); split it into smaller modules or raise [wasm] max_module_functions`,
      null,
      { functions, limit_functions: maxFunctions },
    );
  }
}

async function prepare(bytes: Uint8Array, hash: string, disk: DiskCache | null, inline: boolean): Promise<PreparedModule> {
  const start = performance.now();
  const base = { sha256: hash, size: bytes.byteLength };
  const hit = disk ? await disk.get(hash) : null;
  if (hit) {
    try {
      const [compiled, original] = await Promise.all([WebAssembly.compile(hit.instrumented as Uint8Array<ArrayBuffer>), WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)]);
      return { ...base, info: hit.info, report: hit.report, compiled, original, prepareMs: performance.now() - start, origin: "disk" };
    } catch {
      // an entry V8 refuses is as good as corrupt: prepare the module again (and overwrite it)
    }
  }
  const r = inline ? await (await import("./prepare/instrument-module.js")).checkAndInstrument(bytes) : await instrumentOffThread(bytes);
  await disk?.put(hash, r);
  return { ...base, info: r.info, report: r.report, compiled: r.compiled, original: r.original, prepareMs: performance.now() - start, origin: "prepared" };
}
