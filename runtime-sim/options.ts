// Public option and result types of the runtime. One doc line each; details in docs/abi.md.
import type { Store } from "./store/store.js";
import type { AsyncStore } from "./store/async.js";
import type { FerriteError } from "./errors.js";
import type { KeyPermissions } from "./capabilities.js";

/** A capability a function may be granted (ABI v1 host-function table). */
export type Capability = "read" | "write" | "delete" | "http" | "time" | "random" | "log";
/** Log levels, in the order of their numeric value 0..4 in `ferrite_log`. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
/** A call argument: a string is sent as UTF-8, bytes as they are. */
export type CallArg = string | Uint8Array;

/** One line a function wrote with `ferrite_log`. */
export interface LogEntry {
  function: string;
  level: LogLevel;
  message: string;
  /** Milliseconds since the epoch, from the runtime's clock. */
  time: number;
}

/** An HTTP request a function made through `ferrite_http` (ABI v1). */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
/** The answer handed back to the function. `status` 0 with `error` on failure. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  error?: string;
}
/** What a handler knows about the call asking: the time it has left bounds the request. */
export interface HttpContext {
  function: string;
  /** Milliseconds left before the call times out. */
  remainingMs: number;
}
/** Answers `ferrite_http` synchronously (a mock in tests, a bridge to fetch in the server). */
export type HttpHandler = (request: HttpRequest, context?: HttpContext) => HttpResponse;
/** Answers `ferrite_http` without blocking; used by calls over an async store (callAsync). */
export type AsyncHttpHandler = (request: HttpRequest, context: HttpContext) => Promise<HttpResponse>;

/** Defaults applied to a load that does not say otherwise (the spec's `[wasm]` section). */
export interface RuntimeDefaults {
  /** Memory limit for new functions. Documentation: docs/abi.md#limits */
  memoryLimit?: string | number;
  /** Wall-clock limit per call, in milliseconds. */
  timeoutMs?: number;
  /** Capabilities granted when a load names none. */
  capabilities?: readonly (Capability | "all")[];
}

export interface RuntimeOptions {
  /** The keyspace functions read and write. Default: a new in-memory store. */
  store?: Store;
  /** Clock for `ferrite_now`, stats and logs (ms since epoch). Default: Date.now. */
  clock?: () => number;
  /** Source for `ferrite_random`, uniform in [0, 1). Default: Math.random. */
  random?: () => number;
  /** Defaults for loads (spec: default_memory_limit, default_timeout_ms, capabilities.default). */
  defaults?: RuntimeDefaults;
  /** Capabilities a load may ask for (spec: capabilities.allowed). Default: all of them. */
  allowedCapabilities?: readonly Capability[];
  /** Most functions loaded at once (spec: max_functions). Default: 100. */
  maxFunctions?: number;
  /** What the functions' memory limits may add up to ([wasm] memory_budget); a load or update past it is refused. Default: no budget. */
  memoryBudget?: string | number;
  /** Largest module a load takes: "16MB" or bytes (spec extension: [wasm] max_module_size). Default: 16MB. */
  maxModuleSize?: string | number;
  /** Most functions a module may define ([wasm] max_module_functions). Default: 50000. */
  maxModuleFunctions?: number;
  /**
   * Keep prepared (checked and instrumented) modules on disk, so the next process loads a module it
   * has seen without instrumenting it again: true for the usual place (node_modules/.cache/ferrite-wasm,
   * see docs/abi.md), or a directory. Default: off. An entry decides whether metering runs: use only a
   * directory no other user can write.
   */
  cache?: boolean | string;
  /** Folder that relative paths given to loadFile resolve in; a path escaping it is refused. */
  pluginsDir?: string;
  /** Receives every log line as it is written (besides the per-call result). */
  onLog?: (entry: LogEntry) => void;
  /**
   * A store that answers with promises (a real Redis): calls then go through callAsync, which
   * never blocks the event loop; their commits are serializable. Takes the place of `store`.
   */
  asyncStore?: AsyncStore;
  /** Keep a record of every host call in each CallResult (for tests). Default: false. */
  recordHostCalls?: boolean;
  /** Answers `ferrite_http`. Without one, http calls fail with status 0. */
  http?: HttpHandler;
  /** Answers `ferrite_http` without blocking, for callAsync (the server's fetch worker). */
  httpAsync?: AsyncHttpHandler;
  /** Hosts `ferrite_http` may reach (spec: [wasm] http allow-list). Empty: none. */
  httpAllowedHosts?: readonly string[];
}

/** Settings of one function, given at load and changed by update. */
export interface FunctionSettings {
  /** Granted capabilities; "all" grants every one. Default: runtime defaults. */
  capabilities?: readonly (Capability | "all")[];
  /** "10MB", "512KB", "1048576" or a number of bytes. */
  memory?: string | number;
  /** Wall-clock limit per call in milliseconds. */
  timeoutMs?: number;
  /** KEYS: Redis globs over the keys its host calls may touch ("user:*"). Default: every key. */
  keys?: readonly string[];
}

export interface LoadOptions extends FunctionSettings {
  /** The export to run, when it is not named like the function (ABI v1's rule otherwise). */
  entry?: string;
  /** Replace a function already loaded under this name. */
  replace?: boolean;
  /** The module's source map (JSON text or object), so traps name the source line. */
  sourceMap?: string | object;
  /** The file the bytes were read from, so a reload reads it again (loadFile sets it). */
  path?: string;
}

export interface CallOptions {
  /** WASM.CALLREAD: any write or delete fails the call. */
  readOnly?: boolean;
  /** Keep what the call reads and the time, random and http answers it gets; a failed call then
   * hands them back in `result.recorded` (the server's flight recorder). Nothing is built on success. */
  record?: boolean;
  /** The keyspace this call reads and writes (a server's selected database). Default: the runtime's
   * store. An AsyncStore is called through callAsync. */
  store?: Store | AsyncStore;
  /** Answer ferrite_now, ferrite_random and ferrite_http from a recorded call (replay). */
  answers?: RecordedAnswers;
  /** The calling user's key permissions (the server's ACL): a host call outside them fails with NOPERM. */
  keys?: KeyPermissions;
}

/** The time, random and http answers a call got, in the order it asked. */
export interface RecordedAnswers {
  now: number[];
  random: number[];
  http: { request: HttpRequest; response: HttpResponse }[];
}

/** A store answer a call saw: the first one per key. */
export type RecordedRead =
  | { key: Uint8Array; value: Uint8Array | null }
  /** Only existence was asked (ferrite_exists, ferrite_del): the value itself was never read. */
  | { key: Uint8Array; exists: boolean };

/** A failed call's inputs, complete enough to run it again exactly: see `replayFailedCall`. */
export interface RecordedCall {
  function: string;
  /** The export that ran. */
  entry: string;
  /** SHA-256 (hex) of the module that ran. */
  sha256: string;
  args: Uint8Array[];
  readOnly: boolean;
  capabilities: Capability[];
  memory_limit_bytes: number;
  timeout_ms: number;
  /** When the call started, ms since the epoch (runtime clock). */
  time: number;
  /** What the keyspace held for each key the call read, before its own writes. */
  reads: RecordedRead[];
  answers: RecordedAnswers;
}

/** What a function touched in the keyspace; value null means deleted. */
export interface KeyWrite {
  key: Uint8Array;
  value: Uint8Array | null;
}

/** One host function call, recorded when `recordHostCalls` is on. */
export interface HostCall {
  name: string;
  args: unknown[];
  result: unknown;
}

export interface CallResult {
  /** True when the function succeeded and its writes were applied. */
  ok: boolean;
  /**
   * Bytes of the last `ferrite_return`, or null when it never called it (or failed). Safe to
   * hold: never overwritten. A small value may share its ArrayBuffer with other calls' values
   * (as Node's pooled Buffers do), so `slice()` one you keep for long.
   */
  value: Uint8Array | null;
  /** The failure, when ok is false. Its `message` is the reply text without "ERR ". */
  error: FerriteError | null;
  /** Log lines written during the call. */
  logs: LogEntry[];
  /** Writes applied (ok) or discarded (failed), in order. */
  writes: KeyWrite[];
  /** Host calls made, when `recordHostCalls` is on; otherwise empty. */
  hostCalls: HostCall[];
  /** Wall-clock duration of the call in milliseconds. */
  durationMs: number;
  /** What a failed call saw, when it was called with `record`; absent otherwise. */
  recorded?: RecordedCall;
  /** callAsync: how many times it ran from the start after a conflict (1: it committed at once). */
  attempts?: number;
}

/** WASM.INFO fields (spec) plus what the runtime knows. */
export interface FunctionInfo {
  name: string;
  /** File it was loaded from; null for loads from bytes (WASM.LOADB). */
  path: string | null;
  entry: string;
  capabilities: Capability[];
  memory_limit: string;
  memory_limit_bytes: number;
  timeout_ms: number;
  /** KEYS patterns; ["*"] when the function may touch every key. */
  keys: string[];
  loaded_at: string;
  invocations: number;
  avg_duration_ms: number;
  errors: number;
  size_bytes: number;
  sha256: string;
  exports: string[];
  imports: string[];
}

/** WASM.STATS fields for one function. */
export interface FunctionStats {
  invocations: number;
  successful: number;
  failed: number;
  timeouts: number;
  avg_duration_ms: number;
  p99_duration_ms: number;
  memory_used: string;
  memory_used_bytes: number;
  last_invocation: string | null;
}

/** WASM.STATS without a name. */
export interface AllStats {
  functions: Record<string, FunctionStats>;
  totals: { functions: number; invocations: number; successful: number; failed: number; timeouts: number };
}
