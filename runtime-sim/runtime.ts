// The function registry: load, call, update, reload, unload, list, info, stats. Each function's
// instance and call state belong to its FunctionCalls (call.ts), its entry to loaded-function.ts;
// this file only keeps the table.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startFailure, type CallEnv } from "./call.js";
import { CAPABILITIES, KeyPatterns, parseCapabilities } from "./capabilities.js";
import { errors, FerriteError } from "./errors.js";
import { checkInitialMemory, formatBytes, humanBytes, MemoryBudget, parseMemoryLimit } from "./limits/memory.js";
import { parseTimeout, TimeoutSignal } from "./limits/deadline.js";
import { prepareModule, type PrepareOptions, type PreparedModule } from "./module.js";
import { DiskCache } from "./prepare/disk-cache.js";
import { MAX_SOURCE_MAP_BYTES, readRegularFile } from "./prepare/read-file.js";
import { resolveEntry } from "./abi/validate.js";
import { DEFAULTS, FUNCTION_NAME } from "./defaults.js";
import { initStats } from "./stats.js";
import { MemoryStore } from "./store/memory-store.js";
import { LIBRARY_POSITION, SourceMapIndex, locateTrap } from "./sourcemap.js";
import { httpGate } from "./http/fetch.js";
import { toBytes, type Store } from "./store/store.js";
import { driveAsyncCall, isAsyncStore, type AsyncStore } from "./store/async.js";
import type {
  AllStats,
  CallArg,
  CallOptions,
  CallResult,
  Capability,
  FunctionInfo,
  FunctionSettings,
  FunctionStats,
  LoadOptions,
  RuntimeOptions,
} from "./options.js";

import {
  argsRead,
  failedResult,
  LoadedFunction,
  loadError,
  NO_ANSWERS,
  outcome,
  takeRecord,
  wrapLoadError,
  type AsyncOutcome,
  type ModuleSource,
  type Settings,
} from "./loaded-function.js";

export { DEFAULTS } from "./defaults.js";
export type { ModuleSource } from "./loaded-function.js";

const TIME_ORIGIN = performance.timeOrigin;

export class Runtime {
  readonly store: Store;
  /** Set when functions read and write a store that answers asynchronously (use callAsync). */
  readonly asyncStore: AsyncStore | null;
  readonly #fns = new Map<string, LoadedFunction>();
  readonly #env: CallEnv;
  readonly #defaults: Settings;
  readonly #budget: MemoryBudget;
  readonly #allowed: readonly Capability[];
  readonly #maxFunctions: number;
  readonly #pluginsDir: string | null;
  readonly #clock: () => number;
  /** The clock is Date.now, which the end of a call (already read) gives for free. */
  readonly #wallClock: boolean;
  readonly #limits: { maxModuleSize: number; maxModuleFunctions: number };
  readonly #cacheOption: RuntimeOptions["cache"];
  #cache: DiskCache | null | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#wallClock = this.#clock === Date.now;
    this.store = options.store ?? new MemoryStore({ clock: this.#clock });
    this.asyncStore = options.asyncStore ?? null;
    this.#allowed = options.allowedCapabilities ?? CAPABILITIES;
    this.#maxFunctions = options.maxFunctions ?? DEFAULTS.maxFunctions;
    this.#pluginsDir = options.pluginsDir ? path.resolve(options.pluginsDir) : null;
    // Options are parsed once, here; the rest of the runtime trusts them.
    this.#defaults = {
      capabilities: parseCapabilities(options.defaults?.capabilities ?? DEFAULTS.capabilities, this.#allowed),
      memoryBytes: parseMemoryLimit(options.defaults?.memoryLimit ?? DEFAULTS.memoryLimit),
      timeoutMs: parseTimeout(options.defaults?.timeoutMs ?? DEFAULTS.timeoutMs),
      keys: null,
    };
    this.#limits = {
      maxModuleSize: parseMemoryLimit(options.maxModuleSize ?? DEFAULTS.maxModuleSize),
      maxModuleFunctions: options.maxModuleFunctions ?? DEFAULTS.maxModuleFunctions,
    };
    this.#cacheOption = options.cache;
    this.#budget = new MemoryBudget(options.memoryBudget === undefined ? Infinity : parseMemoryLimit(options.memoryBudget));
    const http = httpGate(options.http, options.httpAllowedHosts ?? [], options.httpAsync);
    this.#env = {
      store: this.store,
      clock: this.#clock,
      random: options.random ?? Math.random,
      onLog: options.onLog,
      recordHostCalls: options.recordHostCalls ?? false,
      http,
      httpAsync: http.async,
      httpAllowed: http.allowed,
    };
  }

  /** WASM.LOADB: loads a module from its bytes. */
  async load(name: string, wasm: Uint8Array, options: LoadOptions = {}): Promise<FunctionInfo> {
    return this.#load(name, wasm, options.path ?? null, options);
  }

  /** WASM.LOAD: loads a module from a file (inside pluginsDir when one is set). */
  async loadFile(name: string, file: string, options: LoadOptions = {}): Promise<FunctionInfo> {
    const resolved = await this.resolvePath(file);
    const { bytes, sourceMap } = await this.#read(resolved, `cannot load '${name}'`);
    return this.#load(name, bytes, resolved, { ...options, sourceMap: options.sourceMap ?? sourceMap });
  }

  /** A module file and its source map (file.map), read without trusting what the path is. */
  async #read(file: string, what: string): Promise<{ bytes: Uint8Array; sourceMap: string | undefined }> {
    const max = this.#limits.maxModuleSize;
    const bytes = await readRegularFile(file, what, {
      maxBytes: max,
      limitText: `the module size limit of ${humanBytes(max)} (max_module_size); build a smaller module or raise [wasm] max_module_size`,
    });
    const map = await readRegularFile(`${file}.map`, what, { maxBytes: MAX_SOURCE_MAP_BYTES, limitText: `${humanBytes(MAX_SOURCE_MAP_BYTES)}, the most a source map may be; remove it or build without one` }, undefined);
    return { bytes, sourceMap: map === undefined ? undefined : Buffer.from(map.buffer, map.byteOffset, map.byteLength).toString("utf8") };
  }

  /** Prepared modules on disk, when the options ask for them: located once, on the first load. */
  #prepareOptions(): PrepareOptions {
    const option = this.#cacheOption;
    this.#cache ??= !option ? null : option === true ? DiskCache.locate() : new DiskCache(path.resolve(option));
    return { ...this.#limits, cache: this.#cache };
  }

  async #load(name: string, wasm: Uint8Array, file: string | null, options: LoadOptions): Promise<FunctionInfo> {
    if (!FUNCTION_NAME.test(name)) {
      throw new FerriteError("ERR_NAME", `invalid function name '${name}': use 1-128 letters, digits, _ . : or -`, name);
    }
    const existing = this.#fns.get(name);
    if (existing && !options.replace) throw errors.exists(name);
    if (!existing && this.#fns.size >= this.#maxFunctions) {
      throw new FerriteError("ERR_TOO_MANY_FUNCTIONS", `cannot load '${name}': ${this.#maxFunctions} functions are loaded, the most max_functions allows; unload one first`, name);
    }
    const settings = this.#settings(options, existing);
    const [prepared] = await Promise.all([
      prepareModule(wasm, this.#prepareOptions()).catch((e) => {
        throw loadError(name, e);
      }),
      initStats(),
    ]);
    const sourceMap = options.sourceMap === undefined || typeof options.sourceMap === "string" ? options.sourceMap : JSON.stringify(options.sourceMap);
    const source: ModuleSource = { bytes: wasm, sourceMap, path: file, entry: options.entry };
    const fn = this.#create(name, prepared, source, settings, options.sourceMap ? new SourceMapIndex(options.sourceMap, wasm) : null);
    this.#fns.set(name, fn);
    if (existing && existing !== fn) existing.counters.destroy();
    return this.info(name);
  }

  #settings(options: FunctionSettings, base?: LoadedFunction): Settings {
    const from = base?.settings ?? this.#defaults;
    return {
      capabilities: options.capabilities ? parseCapabilities(options.capabilities, this.#allowed) : from.capabilities,
      memoryBytes: options.memory !== undefined ? parseMemoryLimit(options.memory) : from.memoryBytes,
      timeoutMs: options.timeoutMs !== undefined ? parseTimeout(options.timeoutMs) : from.timeoutMs,
      keys: options.keys !== undefined ? KeyPatterns.of(options.keys) : from.keys,
    };
  }

  /** The memory budget: `name`'s limit beside every other function's. */
  #checkBudget(name: string, memoryBytes: number): void {
    let others = 0;
    for (const [n, f] of this.#fns) if (n !== name) others += f.settings.memoryBytes;
    this.#budget.check(name, memoryBytes, others);
  }

  #create(name: string, prepared: PreparedModule, source: ModuleSource, s: Settings, sourceMap: SourceMapIndex | null): LoadedFunction {
    const entry = wrapLoadError(name, () => resolveEntry(prepared.info, name, source.entry));
    checkInitialMemory(name, prepared.info.memory.initialPages, s.memoryBytes);
    this.#checkBudget(name, s.memoryBytes);
    const fn = new LoadedFunction(name, prepared, entry, source, s, sourceMap, this.#env);
    try {
      fn.calls.instantiate();
    } catch (e) {
      throw startFailure(name, e, s.timeoutMs);
    }
    return fn;
  }

  /** WASM.CALL (or WASM.CALLREAD with `readOnly`). Failures come back in the result, never thrown. */
  call(name: string, args: readonly CallArg[] = [], options?: CallOptions): CallResult {
    const fn = this.#fns.get(name);
    if (!fn) return failedResult(errors.unknownFunction(name));
    if (options?.store ? isAsyncStore(options.store) : this.asyncStore !== null) {
      return failedResult(new FerriteError("ERR_STORE", `this runtime's store answers asynchronously; call '${name}' with callAsync`, name));
    }
    const { calls } = fn;
    if (!calls.ready) {
      try {
        calls.instantiate();
      } catch (e) {
        fn.counters.record(e instanceof TimeoutSignal ? "timeout" : "failed", 0, 0, this.#clock());
        return failedResult(startFailure(name, e, fn.settings.timeoutMs));
      }
    }
    const readOnly = options?.readOnly === true;
    const record = options?.record === true;
    const store = options?.store as Store | undefined;
    const result = calls.call(args, readOnly, record, options?.answers, options?.keys ?? null, undefined, store);
    this.#locate(name, fn, args, result, store ? { ...this.#env, store } : this.#env);
    // With the default clock, the end of the call (already read) says when it was: no second read.
    const at = this.#wallClock ? Math.round(TIME_ORIGIN + calls.endedAt) : this.#clock();
    if (record && !result.ok) result.recorded = takeRecord(fn, args, readOnly, Math.round(at - result.durationMs));
    fn.counters.record(result.ok ? "ok" : calls.timedOut ? "timeout" : "failed", result.durationMs, calls.memoryBytes, at);
    return result;
  }

  /**
   * A call that never blocks the event loop: with `asyncStore`, reads are fetched while other work
   * goes on and the commit is serializable (store/async.ts); otherwise the same as call().
   */
  async callAsync(name: string, args: readonly CallArg[] = [], options?: CallOptions): Promise<CallResult> {
    const store = options?.store ?? this.asyncStore;
    if (store === null || !isAsyncStore(store)) return this.call(name, args, options);
    const fn = this.#fns.get(name);
    if (!fn) return failedResult(errors.unknownFunction(name));
    const { calls } = fn;
    const readOnly = options?.readOnly === true;
    const record = options?.record === true;
    const started = performance.now();
    let startFailed = false;
    const out = await driveAsyncCall<AsyncOutcome>({
      fn: name,
      timeoutMs: fn.settings.timeoutMs,
      store,
      http: this.#env.httpAsync ?? null,
      prefetch: fn.readArgs.length ? fn.readArgs.filter((i) => i < args.length).map((i) => toBytes(args[i])) : undefined,
      run: (cache, tape, budgetMs) => {
        if (!calls.ready) {
          try {
            calls.instantiate();
          } catch (e) {
            startFailed = true;
            fn.counters.record(e instanceof TimeoutSignal ? "timeout" : "failed", 0, 0, this.#clock());
            return outcome(failedResult(startFailure(name, e, fn.settings.timeoutMs)), false);
          }
        }
        const result = calls.call(args, readOnly, record, options?.answers, options?.keys ?? null, { cache, tape, budgetMs });
        const pending = calls.pending;
        if (pending === null) this.#locate(name, fn, args, result, { ...this.#env, store: cache });
        if (pending === null && record && !result.ok) result.recorded = takeRecord(fn, args, readOnly, Math.round(this.#clock() - result.durationMs));
        return { result, ok: result.ok, writes: result.writes, pending, timedOut: calls.timedOut, memoryBytes: calls.memoryBytes };
      },
      timedOut: () => outcome(failedResult(errors.timedOut(name, fn.settings.timeoutMs)), true),
      failed: (error) => outcome(failedResult(error), false),
    });
    const result = out.result;
    if (result.ok) fn.readArgs = argsRead(args, out.readKeys);
    result.durationMs = performance.now() - started;
    result.attempts = out.attempts;
    if (!startFailed && this.#fns.get(name) === fn) {
      fn.counters.record(result.ok ? "ok" : out.timedOut ? "timeout" : "failed", result.durationMs, out.memoryBytes, this.#clock());
    }
    // Only the committed run's logs are delivered; earlier runs' were dropped with them.
    if (this.#env.onLog) for (const entry of result.logs) this.#env.onLog(entry);
    return result;
  }

  /**
   * A trap, or a guest error raised inside a library (json-as, the standard library, which names
   * the library's line): the deterministic replay finds the source position, the caller's own line.
   */
  #locate(name: string, fn: LoadedFunction, args: readonly CallArg[], result: CallResult, env: CallEnv): void {
    const { calls } = fn;
    const libraryAbort = result.error?.code === "ERR_GUEST" && LIBRARY_POSITION.test(result.error.message);
    if (!(calls.trapped || libraryAbort) || !fn.sourceMap || !result.error) return;
    const position = locateTrap(fn.prepared, fn.sourceMap, fn.entry, args, calls.tape ?? NO_ANSWERS, env, calls.limits);
    if (position && calls.trapped) {
      result.error = errors.trapped(name, String(result.error.data.reason), position);
    } else if (position && !position.startsWith("~lib/")) {
      result.error = errors.guest(name, result.error.message.replace(LIBRARY_POSITION, ` at ${position}`));
    }
  }

  /** WASM.CALLREAD: a call in which any write or delete fails. */
  callRead(name: string, args: readonly CallArg[] = []): CallResult {
    return this.call(name, args, { readOnly: true });
  }

  /** WASM.UPDATE: changes capabilities, memory limit or timeout; takes effect on the next call. */
  async update(name: string, settings: FunctionSettings): Promise<FunctionInfo> {
    const fn = this.#get(name);
    const s = this.#settings(settings, fn);
    checkInitialMemory(name, fn.prepared.info.memory.initialPages, s.memoryBytes);
    this.#checkBudget(name, s.memoryBytes);
    fn.settings = s;
    return this.info(name);
  }

  /** WASM.RELOAD: reads the function's file again (still confined to pluginsDir), keeping its settings. */
  async reload(name: string): Promise<FunctionInfo> {
    const fn = this.#get(name);
    const file = fn.source.path;
    if (file === null) {
      throw new FerriteError("ERR_NO_FILE", `function '${name}' was loaded from bytes (WASM.LOADB) and has no file to reload; send the new module with WASM.LOADB ${name} <bytes> REPLACE`, name);
    }
    let resolved: string;
    try {
      resolved = await this.resolvePath(file);
    } catch (e) {
      const why = e instanceof FerriteError ? e.message : String(e);
      throw new FerriteError("ERR_PATH", `cannot reload '${name}': ${why}; restore the file or load the function again`, name, { path: file });
    }
    const { bytes, sourceMap } = await this.#read(resolved, `cannot reload '${name}'`);
    return this.#load(name, bytes, resolved, {
      capabilities: fn.settings.capabilities,
      memory: fn.settings.memoryBytes,
      timeoutMs: fn.settings.timeoutMs,
      keys: fn.settings.keys ? fn.settings.keys.patterns : undefined,
      replace: true,
      sourceMap,
      entry: fn.source.entry,
    });
  }

  /** What a function was loaded from (its bytes, source map and file), for hosts that keep it. */
  source(name: string): ModuleSource {
    return this.#get(name).source;
  }

  /** WASM.UNLOAD. */
  unload(name: string): void {
    const fn = this.#get(name);
    this.#fns.delete(name);
    fn.counters.destroy();
  }

  /** WASM.LIST: names in load order. */
  list(): string[] {
    return [...this.#fns.keys()];
  }

  has(name: string): boolean {
    return this.#fns.has(name);
  }

  /** WASM.INFO. */
  info(name: string): FunctionInfo {
    const fn = this.#get(name);
    const { prepared } = fn;
    return {
      name,
      path: fn.source.path,
      entry: fn.entry,
      capabilities: [...fn.settings.capabilities],
      memory_limit: formatBytes(fn.settings.memoryBytes),
      memory_limit_bytes: fn.settings.memoryBytes,
      timeout_ms: fn.settings.timeoutMs,
      keys: fn.settings.keys ? [...fn.settings.keys.patterns] : ["*"],
      loaded_at: new Date(fn.loadedAt).toISOString(),
      invocations: fn.counters.invocations,
      avg_duration_ms: Math.round(fn.counters.avgMs * 1000) / 1000,
      errors: fn.counters.failed,
      size_bytes: prepared.size,
      sha256: prepared.sha256,
      exports: prepared.info.exports.map((e) => e.name),
      imports: prepared.info.imports.map((i) => `${i.module}.${i.name}`),
    };
  }

  /** WASM.STATS name, or every function's with totals. */
  stats(): AllStats;
  stats(name: string): FunctionStats;
  stats(name?: string): FunctionStats | AllStats {
    if (name !== undefined) return this.#get(name).counters.toJSON();
    const functions: Record<string, FunctionStats> = {};
    const totals = { functions: 0, invocations: 0, successful: 0, failed: 0, timeouts: 0 };
    for (const [n, fn] of this.#fns) {
      const s = (functions[n] = fn.counters.toJSON());
      totals.functions++;
      totals.invocations += s.invocations;
      totals.successful += s.successful;
      totals.failed += s.failed;
      totals.timeouts += s.timeouts;
    }
    return { functions, totals };
  }

  /** Where a WASM.LOAD path points: inside pluginsDir, or refused. */
  async resolvePath(file: string): Promise<string> {
    const base = this.#pluginsDir ?? process.cwd();
    const candidate = path.resolve(base, file);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      throw new FerriteError("ERR_PATH", `no module file at '${file}' (looked for ${candidate}); check the path${this.#pluginsDir ? " relative to plugins_dir" : ""}`, null, { path: file });
    }
    if (this.#pluginsDir) {
      const root = await realpath(this.#pluginsDir).catch(() => this.#pluginsDir!);
      if (real !== root && !real.startsWith(root + path.sep)) {
        throw new FerriteError("ERR_PATH", `path '${file}' is outside plugins_dir (${root}); copy the module into plugins_dir or send its bytes with WASM.LOADB`, null, { path: file });
      }
    }
    return real;
  }

  #get(name: string): LoadedFunction {
    const fn = this.#fns.get(name);
    if (!fn) throw errors.unknownFunction(name);
    return fn;
  }
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new Runtime(options);
}

