// One entry of the function registry (runtime.ts): what was loaded, its settings and limits, its
// counters and its FunctionCalls; and the small helpers the registry's load and call paths share.
import { FunctionCalls, type CallEnv, type CallLimits } from "./call.js";
import { capabilityMask, type KeyPatterns } from "./capabilities.js";
import { FerriteError } from "./errors.js";
import { formatBytes, limitPages } from "./limits/memory.js";
import type { PreparedModule } from "./module.js";
import { FunctionCounters } from "./stats.js";
import type { SourceMapIndex } from "./sourcemap.js";
import { toBytes } from "./store/store.js";
import type { Pending } from "./store/async.js";
import type { CallArg, CallResult, Capability, KeyWrite, RecordedAnswers, RecordedCall } from "./options.js";

export interface Settings {
  capabilities: Capability[];
  memoryBytes: number;
  timeoutMs: number;
  /** KEYS; null: every key. */
  keys: KeyPatterns | null;
}

/** What a function was loaded from: kept for the host (the server saves and versions it). */
export interface ModuleSource {
  bytes: Uint8Array;
  sourceMap: string | undefined;
  /** The file, for WASM.LOAD and RELOAD; null for bytes. */
  path: string | null;
  /** The entry asked for at load, if any (a reload asks again). */
  entry: string | undefined;
}

/** One entry of the registry. */
export class LoadedFunction {
  readonly counters = new FunctionCounters();
  readonly loadedAt = Date.now();
  readonly calls: FunctionCalls;
  #settings: Settings;
  /** Over an async store: which arguments the last call read as keys (fetched up front next time). */
  readArgs: number[] = [];

  constructor(
    readonly name: string,
    readonly prepared: PreparedModule,
    readonly entry: string,
    readonly source: ModuleSource,
    settings: Settings,
    readonly sourceMap: SourceMapIndex | null,
    env: CallEnv,
  ) {
    this.#settings = settings;
    // With a source map, record time, random and http answers so a trap can be replayed.
    this.calls = new FunctionCalls(name, env, prepared, entry, this.#limits(settings), sourceMap !== null);
  }

  get settings(): Settings {
    return this.#settings;
  }

  set settings(s: Settings) {
    this.#settings = s;
    this.calls.setLimits(this.#limits(s));
  }

  #limits(s: Settings): CallLimits {
    return {
      capMask: capabilityMask(s.capabilities),
      timeoutMs: s.timeoutMs,
      maxPages: limitPages(s.memoryBytes, this.prepared.info.memory.maxPages),
      memoryText: formatBytes(s.memoryBytes),
      keys: s.keys,
    };
  }
}

export function wrapLoadError<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw loadError(name, e);
  }
}

/** A module check's error, said of the function being loaded. */
export function loadError(name: string, e: unknown): unknown {
  return e instanceof FerriteError ? new FerriteError(e.code, `cannot load '${name}': ${e.message}`, name, e.data, e) : e;
}

export const NO_ANSWERS: RecordedAnswers = { now: [], random: [], http: [] };

/** A failed recorded call's inputs, complete enough to run it again; `time`: when it started. */
export function takeRecord(fn: LoadedFunction, args: readonly CallArg[], readOnly: boolean, time: number): RecordedCall {
  const { reads, answers } = fn.calls.takeRecorded();
  const s = fn.settings;
  return {
    function: fn.name,
    entry: fn.entry,
    sha256: fn.prepared.sha256,
    // Copies: a server's arguments are slices of a socket chunk the record outlives.
    args: args.map((a) => (typeof a === "string" ? new Uint8Array(Buffer.from(a, "utf8")) : a.slice())),
    readOnly,
    capabilities: [...s.capabilities],
    memory_limit_bytes: s.memoryBytes,
    timeout_ms: s.timeoutMs,
    time,
    reads,
    answers,
  };
}

export interface AsyncOutcome {
  result: CallResult;
  ok: boolean;
  writes: readonly KeyWrite[];
  pending: Pending | null;
  timedOut: boolean;
  memoryBytes: number;
}

export function outcome(result: CallResult, timedOut: boolean): AsyncOutcome {
  return { result, ok: false, writes: [], pending: null, timedOut, memoryBytes: 0 };
}

/** Which arguments were read as keys, by position. */
export function argsRead(args: readonly CallArg[], keys: Uint8Array[]): number[] {
  if (keys.length === 0 || args.length === 0) return [];
  const out: number[] = [];
  args.forEach((a, i) => {
    const bytes = toBytes(a);
    if (keys.some((k) => k.byteLength === bytes.byteLength && Buffer.from(k.buffer, k.byteOffset, k.byteLength).equals(bytes))) out.push(i);
  });
  return out;
}

export function failedResult(error: FerriteError): CallResult {
  return { ok: false, value: null, error, logs: [], writes: [], hostCalls: [], durationMs: 0 };
}
