// The function registry: load, call, update, reload, unload, list, info, stats.
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { CallContext, runCall, type CallEnv } from "./call.js";
import { capabilityMask, CAPABILITIES, parseCapabilities } from "./capabilities.js";
import { errors, FerriteError } from "./errors.js";
import { Isolate } from "./isolation.js";
import { formatBytes, limitPages, parseMemoryLimit, WASM_PAGE } from "./limits/memory.js";
import { TimeoutSignal } from "./limits/deadline.js";
import { prepareModule, type PreparedModule } from "./module.js";
import { resolveEntry } from "./abi/validate.js";
import { DEFAULTS, FUNCTION_NAME } from "./defaults.js";
import { GuestMemory } from "./abi/guest-memory.js";
import { FunctionCounters } from "./stats.js";
import { MemoryStore } from "./store/memory-store.js";
import { LIBRARY_POSITION, SourceMapIndex, locateTrap } from "./sourcemap.js";
import { httpGate } from "./http/fetch.js";
import type { Store } from "./store/store.js";
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
  RecordedAnswers,
  RecordedCall,
  RuntimeOptions,
} from "./options.js";

export { DEFAULTS } from "./defaults.js";

class LoadedFunction {
  isolate: Isolate | null = null;
  entryFn!: (ptr: number, len: number) => number;
  readonly counters = new FunctionCounters();
  readonly loadedAt = Date.now();

  constructor(
    readonly name: string,
    readonly prepared: PreparedModule,
    readonly entry: string,
    readonly path: string | null,
    public capabilities: Capability[],
    public memoryBytes: number,
    public timeoutMs: number,
    readonly sourceMap: SourceMapIndex | null,
    readonly ctx: CallContext,
  ) {}

  /** The granted capabilities as a bit set, for the per-host-call check. */
  get capMask(): number {
    if (this.#capsFor !== this.capabilities) {
      this.#capMask = capabilityMask(this.capabilities);
      this.#capsFor = this.capabilities;
    }
    return this.#capMask;
  }
  #capMask = 0;
  #capsFor: Capability[] | null = null;

  get memoryText(): string {
    if (this.#memoryTextFor !== this.memoryBytes) {
      this.#memoryText = formatBytes(this.memoryBytes);
      this.#memoryTextFor = this.memoryBytes;
    }
    return this.#memoryText;
  }
  #memoryText = "";
  #memoryTextFor = -1;

  get maxPages(): number {
    const declared = this.prepared.info.memory.maxPages;
    const pages = limitPages(this.memoryBytes);
    return declared === null ? pages : Math.min(pages, declared);
  }

  /** A new instance under the current settings. Start-up (the module's start function) gets its
   * own budget: a short TIMEOUT must not fail a load on a busy machine, yet a start that never ends must. */
  instantiate(): Isolate {
    this.isolate = null;
    (this.ctx as { mem: unknown }).mem = undefined;
    this.ctx.deadline.begin(startBudgetMs(this.timeoutMs));
    const isolate = new Isolate(this.prepared, this.ctx.imports(this.maxPages));
    this.ctx.mem = new GuestMemory(isolate.memory, this.name, isolate.exports.ferrite_alloc);
    this.entryFn = isolate.exports[this.entry] as (p: number, l: number) => number;
    this.isolate = isolate;
    return isolate;
  }
}

export class Runtime {
  readonly store: Store;
  readonly #fns = new Map<string, LoadedFunction>();
  readonly #env: CallEnv;
  readonly #defaults: { memoryLimit: string | number; timeoutMs: number; capabilities: readonly (Capability | "all")[] };
  readonly #allowed: readonly Capability[];
  readonly #maxFunctions: number;
  readonly #pluginsDir: string | null;
  readonly #clock: () => number;

  constructor(options: RuntimeOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.store = options.store ?? new MemoryStore({ clock: this.#clock });
    this.#allowed = options.allowedCapabilities ?? CAPABILITIES;
    this.#maxFunctions = options.maxFunctions ?? DEFAULTS.maxFunctions;
    this.#pluginsDir = options.pluginsDir ? path.resolve(options.pluginsDir) : null;
    this.#defaults = {
      memoryLimit: options.defaults?.memoryLimit ?? DEFAULTS.memoryLimit,
      timeoutMs: options.defaults?.timeoutMs ?? DEFAULTS.timeoutMs,
      capabilities: options.defaults?.capabilities ?? DEFAULTS.capabilities,
    };
    parseMemoryLimit(this.#defaults.memoryLimit);
    this.#env = {
      store: this.store,
      clock: this.#clock,
      random: options.random ?? Math.random,
      onLog: options.onLog,
      recordHostCalls: options.recordHostCalls ?? false,
      http: httpGate(options.http, options.httpAllowedHosts ?? []),
    };
  }

  /** WASM.LOADB: loads a module from its bytes. */
  async load(name: string, wasm: Uint8Array, options: LoadOptions = {}): Promise<FunctionInfo> {
    return this.#load(name, wasm, null, options);
  }

  /** WASM.LOAD: loads a module from a file (inside pluginsDir when one is set). */
  async loadFile(name: string, file: string, options: LoadOptions = {}): Promise<FunctionInfo> {
    const resolved = await this.resolvePath(file);
    const bytes = await readFile(resolved);
    const sourceMap = options.sourceMap ?? (await readFile(`${resolved}.map`, "utf8").catch(() => undefined));
    return this.#load(name, new Uint8Array(bytes), resolved, { ...options, sourceMap });
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
    const prepared = await prepareModule(wasm).catch((e) => {
      throw loadError(name, e);
    });
    const fn = this.#create(name, prepared, file, settings, options.sourceMap ? new SourceMapIndex(options.sourceMap, wasm) : null, options.entry);
    this.#fns.set(name, fn);
    if (existing && existing !== fn) existing.counters.destroy();
    return this.info(name);
  }

  #settings(options: FunctionSettings, base?: LoadedFunction) {
    const capabilities = options.capabilities
      ? parseCapabilities(options.capabilities, this.#allowed)
      : base?.capabilities ?? parseCapabilities(this.#defaults.capabilities, this.#allowed);
    const memoryBytes = options.memory !== undefined ? parseMemoryLimit(options.memory) : base?.memoryBytes ?? parseMemoryLimit(this.#defaults.memoryLimit);
    const timeoutMs = options.timeoutMs ?? base?.timeoutMs ?? this.#defaults.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw errors.invalidTimeout(String(options.timeoutMs));
    return { capabilities, memoryBytes, timeoutMs };
  }

  #create(
    name: string,
    prepared: PreparedModule,
    file: string | null,
    s: { capabilities: Capability[]; memoryBytes: number; timeoutMs: number },
    sourceMap: SourceMapIndex | null,
    explicitEntry?: string,
  ): LoadedFunction {
    const entry = wrapLoadError(name, () => resolveEntry(prepared.info, name, explicitEntry));
    checkInitialMemory(name, prepared, s.memoryBytes);
    const ctx = new CallContext(name, this.#env);
    ctx.keepTape = sourceMap !== null; // keep time, random and http answers so a trap can be replayed
    const fn = new LoadedFunction(name, prepared, entry, file, s.capabilities, s.memoryBytes, s.timeoutMs, sourceMap, ctx);
    try {
      fn.instantiate();
    } catch (e) {
      throw startFailure(name, e, startBudgetMs(s.timeoutMs));
    }
    return fn;
  }

  /** WASM.CALL (or WASM.CALLREAD with `readOnly`). Failures come back in the result, never thrown. */
  call(name: string, args: readonly CallArg[] = [], options: CallOptions = {}): CallResult {
    const fn = this.#fns.get(name);
    if (!fn) return failedResult(errors.unknownFunction(name));
    let isolate = fn.isolate;
    if (isolate === null) {
      try {
        isolate = fn.instantiate();
      } catch (e) {
        const error = startFailure(name, e, startBudgetMs(fn.timeoutMs));
        fn.counters.record(e instanceof TimeoutSignal ? "timeout" : "failed", 0, 0, this.#clock());
        return failedResult(error);
      }
    }
    const record = options.record === true;
    fn.ctx.begin(args, options.readOnly === true, fn.capMask, record, options.answers);
    const out = runCall(
      { name, ctx: fn.ctx, isolate, entry: fn.entryFn, timeoutMs: fn.timeoutMs, memoryLimitText: fn.memoryText },
      args,
    );
    if (!isolate.reset(fn.ctx.mem.dirtyLo, fn.ctx.mem.dirtyHi)) fn.isolate = null;
    // A guest error raised inside a library (json-as, the standard library) names the library's
    // line: the replay finds the caller's own line instead.
    const libraryAbort = out.result.error?.code === "ERR_GUEST" && LIBRARY_POSITION.test(out.result.error.message);
    if ((out.trapped || libraryAbort) && fn.sourceMap) {
      const position = locateTrap(fn.prepared, fn.sourceMap, fn.entry, args, fn.ctx.tape ?? NO_ANSWERS, this.#env, fn.timeoutMs);
      if (position && out.result.error && out.trapped) {
        out.result.error = errors.trapped(name, String(out.result.error.data.reason), position);
      } else if (position && out.result.error && !position.startsWith("~lib/")) {
        out.result.error = errors.guest(name, out.result.error.message.replace(LIBRARY_POSITION, ` at ${position}`));
      }
    }
    if (record && !out.result.ok) out.result.recorded = takeRecord(fn, args, options.readOnly === true, Math.round(this.#clock() - out.result.durationMs));
    fn.counters.record(out.result.ok ? "ok" : out.timedOut ? "timeout" : "failed", out.result.durationMs, out.memoryBytes, this.#clock());
    return out.result;
  }

  /** WASM.CALLREAD: a call in which any write or delete fails. */
  callRead(name: string, args: readonly CallArg[] = []): CallResult {
    return this.call(name, args, { readOnly: true });
  }

  /** WASM.UPDATE: changes capabilities, memory limit or timeout; takes effect on the next call. */
  async update(name: string, settings: FunctionSettings): Promise<FunctionInfo> {
    const fn = this.#get(name);
    const s = this.#settings(settings, fn);
    checkInitialMemory(name, fn.prepared, s.memoryBytes);
    const memoryChanged = s.memoryBytes !== fn.memoryBytes;
    fn.capabilities = s.capabilities;
    fn.memoryBytes = s.memoryBytes;
    fn.timeoutMs = s.timeoutMs;
    if (memoryChanged) fn.isolate = null; // the page limit is fixed per instance
    return this.info(name);
  }

  /** WASM.RELOAD: reads the function's file again, keeping its settings. */
  async reload(name: string): Promise<FunctionInfo> {
    const fn = this.#get(name);
    if (fn.path === null) {
      throw new FerriteError("ERR_NO_FILE", `function '${name}' was loaded from bytes (WASM.LOADB) and has no file to reload; send the new module with WASM.LOADB ${name} <bytes> REPLACE`, name);
    }
    const bytes = await readFile(fn.path).catch(() => {
      throw new FerriteError("ERR_PATH", `cannot reload '${name}': its file ${fn.path} is gone; restore it or load the function again`, name);
    });
    const sourceMap = await readFile(`${fn.path}.map`, "utf8").catch(() => undefined);
    return this.#load(name, new Uint8Array(bytes), fn.path, {
      capabilities: fn.capabilities,
      memory: fn.memoryBytes,
      timeoutMs: fn.timeoutMs,
      replace: true,
      sourceMap,
      entry: fn.entry,
    });
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
      path: fn.path,
      entry: fn.entry,
      capabilities: [...fn.capabilities],
      memory_limit: formatBytes(fn.memoryBytes),
      memory_limit_bytes: fn.memoryBytes,
      timeout_ms: fn.timeoutMs,
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

function checkInitialMemory(name: string, prepared: PreparedModule, limit: number): void {
  const initial = prepared.info.memory.initialPages * WASM_PAGE;
  if (initial > limit) {
    throw new FerriteError(
      "ERR_MEMORY_INITIAL",
      `cannot load '${name}': its initial memory is ${formatBytes(initial)} (${prepared.info.memory.initialPages} pages of 64KB), above its memory limit of ${formatBytes(limit)}; raise MEMORY to at least ${formatBytes(initial)} or build with less initial memory`,
      name,
      { initial_bytes: initial, limit_bytes: limit },
    );
  }
}

function wrapLoadError<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw loadError(name, e);
  }
}

/** A module check's error, said of the function being loaded. */
function loadError(name: string, e: unknown): unknown {
  return e instanceof FerriteError ? new FerriteError(e.code, `cannot load '${name}': ${e.message}`, name, e.data, e) : e;
}

/** Start-up may take at least this long, whatever the call TIMEOUT. */
export const START_BUDGET_MS = 1000;
const startBudgetMs = (timeoutMs: number) => Math.max(timeoutMs, START_BUDGET_MS);

function startFailure(name: string, e: unknown, budgetMs: number): FerriteError {
  if (e instanceof FerriteError) return e;
  if (e instanceof TimeoutSignal) {
    return new FerriteError("ERR_TIMEOUT", `function '${name}' timed out while starting up (after ${budgetMs} ms); its start function must return`, name, { timeout_ms: budgetMs });
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new FerriteError("ERR_TRAP", `function '${name}' trapped while starting up: ${reason}`, name, { reason });
}

const NO_ANSWERS: RecordedAnswers = { now: [], random: [], http: [] };

/** Hands a failed call's reads and answers over to its record; the next call starts new lists. */
/** `time`: when the call started, from the clock after it (a clock read only for failed calls). */
function takeRecord(fn: LoadedFunction, args: readonly CallArg[], readOnly: boolean, time: number): RecordedCall {
  const { ctx } = fn;
  const record: RecordedCall = {
    function: fn.name,
    entry: fn.entry,
    sha256: fn.prepared.sha256,
    // Copies: a server's arguments are slices of a socket chunk the record outlives.
    args: args.map((a) => (typeof a === "string" ? new Uint8Array(Buffer.from(a, "utf8")) : a.slice())),
    readOnly,
    capabilities: [...fn.capabilities],
    memory_limit_bytes: fn.memoryBytes,
    timeout_ms: fn.timeoutMs,
    time,
    reads: ctx.tx.reads ?? [],
    answers: ctx.tape ?? { now: [], random: [], http: [] },
  };
  ctx.tx.reads = null;
  ctx.tape = null;
  return record;
}

function failedResult(error: FerriteError): CallResult {
  return { ok: false, value: null, error, logs: [], writes: [], hostCalls: [], durationMs: 0 };
}
