// One owner for a function's calls: its instance (instantiate), one call (arguments -> guest ->
// reply, inside a transaction) and the reset after it. This is where the host table is linked to a
// function, so it is also where every host call passes the capability, read-only and deadline
// checks (handlers in abi/host-table.ts never check anything themselves). Nothing outside this
// class can change a call's state.
import { performance } from "node:perf_hooks";
import { HOST_FUNCTIONS, GuestAbort, type HostContext } from "./abi/host-table.js";
import { GuestMemory, OutOfGuestMemory } from "./abi/guest-memory.js";
import { requireCapability, requireKey, type KeyPatterns, type KeyPermissions } from "./capabilities.js";
import { Deadline, startBudgetMs, TimeoutSignal } from "./limits/deadline.js";
import { MemoryLimitSignal, memoryImports } from "./limits/memory.js";
import { errors, FerriteError } from "./errors.js";
import { Isolate } from "./isolation.js";
import { HOST_MODULE } from "./instrument/walk.js";
import { Transaction } from "./store/transaction.js";
import { HttpMiss, Pending } from "./store/async.js";
import type { Store } from "./store/store.js";
import type { PreparedModule } from "./module.js";
import { AnswerSource } from "./answers.js";
import type { CallArg, CallResult, HostCall, HttpRequest, HttpResponse, KeyWrite, LogEntry, LogLevel, RecordedAnswers, RecordedRead } from "./options.js";

/** What a function's calls need from the runtime around them. */
export interface CallEnv {
  store: Store;
  clock: () => number;
  random: () => number;
  onLog?: (entry: LogEntry) => void;
  recordHostCalls: boolean;
  http(fn: string, request: HttpRequest, remainingMs?: number): HttpResponse;
  /** Set when http can be answered without blocking (async calls stop and wait for it). */
  httpAsync?: (fn: string, request: HttpRequest, remainingMs: number) => Promise<HttpResponse>;
  /** Whether `http` would pass the request on (allow-list); refusals are answered at once. */
  httpAllowed(request: HttpRequest): boolean;
}

/** One run of a call over an async store (store/async.ts): the values fetched so far, the answers
 * its earlier runs got (given again in order, then asked live and added), the time left. */
export interface AsyncRun {
  cache: Store;
  tape: RecordedAnswers;
  budgetMs: number;
}

/** The settings a call runs under; changed by WASM.UPDATE. */
export interface CallLimits {
  /** Granted capabilities as a bit set (capabilities.ts). */
  capMask: number;
  timeoutMs: number;
  /** Pages the guest may grow to. */
  maxPages: number;
  /** The memory limit as users wrote it, for the error text. */
  memoryText: string;
  /** KEYS: the keys host calls may touch; null: every key. */
  keys: KeyPatterns | null;
}

/** The tape emptied for a new call (reused unless a record took it). */
function emptyTape(t: RecordedAnswers | null): RecordedAnswers {
  if (t === null) return { now: [], random: [], http: [] };
  if (t.now.length) t.now.length = 0;
  if (t.random.length) t.random.length = 0;
  if (t.http.length) t.http.length = 0;
  return t;
}

export class FunctionCalls implements HostContext {
  readonly fn: string;
  readonly #env: CallEnv;
  readonly #prepared: PreparedModule;
  readonly #entryName: string;
  readonly #deadline = new Deadline();
  readonly #tx: Transaction;
  /** Keep the tape on every call: the function has a source map, so a trap can be replayed. */
  readonly #keepTape: boolean;
  /** Answers of now/random/http in order, kept when a trap may need replaying (sourcemap.ts) or
   * the call is recorded (flight recorder). */
  #tape: RecordedAnswers | null = null;
  /** Replay: now/random/http are answered from a recorded call. */
  #answers: AnswerSource | null = null;
  /** A run of an async call: logs wait for its commit; an unanswered http request stops it. */
  #rerun: RecordedAnswers | null = null;
  #nowAt = 0;
  #randomAt = 0;
  #httpAt = 0;
  #pending: Pending | null = null;
  #limits: CallLimits;
  #isolate: Isolate | null = null;
  #mem: GuestMemory | null = null;
  #entry: (ptr: number, len: number) => number = () => 0;
  // One call's state, cleared by #begin.
  #rawArgs: readonly CallArg[] = [];
  #args: Uint8Array[] | null = null;
  #returned: Uint8Array | null = null;
  #errorMessage: string | null = null;
  #logs: LogEntry[] = [];
  #hostCalls: HostCall[] = [];
  #readOnly = false;
  /** The calling user's key permissions (server ACL); null: every key. */
  #callerKeys: KeyPermissions | null = null;
  // What the last call came to, beside its result (no object per call: this is the hot path).
  #timedOut = false;
  #trapped = false;
  #memoryBytes = 0;
  #endedAt = 0;

  constructor(fn: string, env: CallEnv, prepared: PreparedModule, entry: string, limits: CallLimits, keepTape = false) {
    this.fn = fn;
    this.#env = env;
    this.#prepared = prepared;
    this.#entryName = entry;
    this.#limits = limits;
    this.#tx = new Transaction(env.store);
    this.#keepTape = keepTape;
  }

  get limits(): CallLimits {
    return this.#limits;
  }

  /** New settings, from the next call on; a new page limit needs a new instance. */
  setLimits(limits: CallLimits): void {
    if (limits.maxPages !== this.#limits.maxPages) this.#drop();
    this.#limits = limits;
  }

  /** The last call's time, random and http answers, when they were kept. */
  get tape(): RecordedAnswers | null {
    return this.#tape;
  }

  /** Hands a recorded call's store answers and time/random/http answers over to its record; the
   * next call starts new lists. */
  takeRecorded(): { reads: RecordedRead[]; answers: RecordedAnswers } {
    const taken = { reads: this.#tx.reads ?? [], answers: this.#tape ?? { now: [], random: [], http: [] } };
    this.#tx.reads = null;
    this.#tape = null;
    return taken;
  }

  /** Whether an instance is ready for the next call. */
  get ready(): boolean {
    return this.#isolate !== null;
  }

  /** A new instance under the current limits; start-up gets its own budget. Throws a FerriteError,
   * or the TimeoutSignal of a start that never ended (see startFailure). */
  instantiate(): void {
    this.#drop();
    this.#deadline.begin(startBudgetMs(this.#limits.timeoutMs));
    const isolate = new Isolate(this.#prepared, this.#imports(this.#limits.maxPages));
    this.#mem = new GuestMemory(isolate.memory, this.fn, isolate.exports.ferrite_alloc);
    this.#entry = isolate.exports[this.#entryName] as (p: number, l: number) => number;
    this.#isolate = isolate;
  }

  #drop(): void {
    this.#isolate = null;
    this.#mem = null;
  }

  /** The last call timed out. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** The last call trapped where the source map may tell (sourcemap.ts replays it). */
  get trapped(): boolean {
    return this.#trapped;
  }

  /** The last run stopped to wait for a key or an http answer (store/async.ts); nothing was committed. */
  get pending(): Pending | null {
    return this.#pending;
  }

  /** Linear memory size at the end of the last call. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /** When the last call ended (performance.now() time). */
  get endedAt(): number {
    return this.#endedAt;
  }

  /**
   * One call on the ready instance. Never throws for anything the guest does. `record` keeps its
   * store reads and answers (takeRecorded); `answers` answers now/random/http from a recorded call.
   */
  call(args: readonly CallArg[], readOnly: boolean, record = false, answers?: RecordedAnswers, callerKeys: KeyPermissions | null = null, async?: AsyncRun, store?: Store): CallResult {
    const isolate = this.#isolate!;
    const mem = this.#mem!;
    this.#begin(args, readOnly, mem, record, answers, store);
    this.#callerKeys = callerKeys;
    const deadline = this.#deadline;
    if (async !== undefined) {
      this.#tx.reset(async.cache, deadline);
      this.#rerun = async.tape;
      this.#nowAt = this.#randomAt = this.#httpAt = 0;
    }
    deadline.begin(async?.budgetMs ?? this.#limits.timeoutMs);
    let status = 0;
    let failure: FerriteError | null = null;
    let timedOut = false;
    let trapped = false;
    try {
      const ptr = mem.writeArgs(args);
      status = this.#entry(ptr, mem.inputLength) | 0;
    } catch (e) {
      if (e instanceof Pending) {
        this.#pending = e;
      } else if (e instanceof TimeoutSignal || (e instanceof FerriteError && e.code === "ERR_STORE" && deadline.expired)) {
        timedOut = true; // a store wait cut short by the call's remaining time is the call's timeout
        failure = errors.timedOut(this.fn, this.#limits.timeoutMs);
      } else if (e instanceof MemoryLimitSignal || e instanceof OutOfGuestMemory) {
        failure = errors.memory(this.fn, this.#limits.memoryText);
      } else if (e instanceof FerriteError) {
        failure = e;
      } else if (e instanceof GuestAbort) {
        failure = errors.guest(this.fn, e.message);
      } else if (this.#errorMessage !== null) {
        failure = errors.guest(this.fn, this.#errorMessage); // ferrite_error, then a trap: the SDK's abort
      } else {
        trapped = true;
        failure = errors.trapped(this.fn, trapReason(e));
      }
    }
    if (failure === null && this.#errorMessage !== null) failure = errors.guest(this.fn, this.#errorMessage);
    if (failure === null && status !== 0) failure = errors.status(this.fn, status);

    let writes: KeyWrite[] = [];
    const tx = this.#tx;
    if (this.#pending !== null) {
      failure = null; // not a failure: the async call fetches and runs again (nothing to commit)
    } else if (tx.writes.length > 0) {
      try {
        writes = failure === null ? tx.commit() : tx.writes.slice();
      } catch (e) {
        writes = tx.writes.slice();
        if (deadline.expired) {
          timedOut = true;
          failure = errors.timedOut(this.fn, this.#limits.timeoutMs);
        } else {
          failure = new FerriteError("ERR_STORE", `function '${this.fn}' could not apply its writes: ${(e as Error).message}`, this.fn);
        }
      }
    }
    const ended = performance.now();
    const result: CallResult = {
      ok: failure === null,
      value: failure === null ? this.#returned : null,
      error: failure,
      logs: this.#logs,
      writes,
      hostCalls: this.#hostCalls,
      durationMs: ended - deadline.startedAt,
    };
    this.#timedOut = timedOut;
    this.#trapped = trapped;
    this.#endedAt = ended;
    this.#memoryBytes = isolate.memoryBytes;
    if (!isolate.reset(mem.dirtyLo, mem.dirtyHi)) this.#drop();
    return result;
  }

  /**
   * Runs the call again on `original` (the module as loaded, not instrumented) with `answers`,
   * writing nowhere: returns what it threw, or null when it returned.
   */
  replay(original: WebAssembly.Module, args: readonly CallArg[], answers: RecordedAnswers): unknown {
    try {
      this.#deadline.begin(this.#limits.timeoutMs);
      const instance = new WebAssembly.Instance(original, this.#imports(this.#limits.maxPages));
      const ex = instance.exports as Record<string, unknown>;
      const mem = new GuestMemory(ex.memory as WebAssembly.Memory, this.fn, ex.ferrite_alloc as (n: number) => number);
      this.#mem = mem;
      this.#begin(args, false, mem, false, answers);
      const ptr = mem.writeArgs(args);
      (ex[this.#entryName] as (p: number, l: number) => number)(ptr, mem.inputLength);
      return null;
    } catch (e) {
      return e;
    } finally {
      this.#drop();
    }
  }

  #begin(args: readonly CallArg[], readOnly: boolean, mem: GuestMemory, record: boolean, answers: RecordedAnswers | undefined, store: Store = this.#env.store): void {
    this.#rawArgs = args;
    this.#args = null;
    this.#returned = null;
    this.#errorMessage = null;
    if (this.#logs.length) this.#logs = [];
    if (this.#hostCalls.length) this.#hostCalls = [];
    this.#readOnly = readOnly;
    this.#rerun = null;
    this.#pending = null;
    const tx = this.#tx;
    tx.reset(store, this.#deadline);
    const reads = tx.reads;
    if (record) {
      if (reads === null) tx.reads = [];
      else if (reads.length) reads.length = 0;
    } else if (reads !== null) tx.reads = null;
    this.#tape = record || this.#keepTape ? emptyTape(this.#tape) : null;
    this.#answers = answers === undefined ? null : new AnswerSource(answers, this.#env.clock);
    mem.dirtyLo = 0xffffffff;
    mem.dirtyHi = 0;
  }

  // ---- HostContext: what the host table's handlers see ----

  get mem(): GuestMemory {
    return this.#mem!; // set whenever a handler can run (the import wrapper checks)
  }

  get tx(): Transaction {
    return this.#tx;
  }

  get args(): Uint8Array[] {
    this.#args ??= this.#rawArgs.map((a) => (typeof a === "string" ? Buffer.from(a, "utf8") : a));
    return this.#args;
  }

  setReturn(ptr: number, len: number): void {
    this.#returned = this.#mem!.readReply("ferrite_return", ptr, len);
  }

  setError(message: string): void {
    this.#errorMessage = message;
  }

  now(): number {
    const re = this.#rerun;
    let t: number;
    if (re !== null && this.#nowAt < re.now.length) t = re.now[this.#nowAt++];
    else {
      t = this.#answers === null ? this.#env.clock() : this.#answers.now();
      if (re !== null) (re.now.push(t), this.#nowAt++);
    }
    this.#tape?.now.push(t);
    return t;
  }

  random(): number {
    const re = this.#rerun;
    let r: number;
    if (re !== null && this.#randomAt < re.random.length) r = re.random[this.#randomAt++];
    else {
      r = this.#answers === null ? this.#env.random() : this.#answers.random();
      if (re !== null) (re.random.push(r), this.#randomAt++);
    }
    this.#tape?.random.push(r);
    return r;
  }

  log(level: LogLevel, message: string): void {
    const entry: LogEntry = { function: this.fn, level, message, time: this.#env.clock() };
    this.#logs.push(entry);
    if (this.#rerun === null) this.#env.onLog?.(entry); // an async call's: only the committed run's (runtime.ts)
  }

  http(request: HttpRequest): HttpResponse {
    const re = this.#rerun;
    let response: HttpResponse;
    if (re !== null && this.#httpAt < re.http.length) response = re.http[this.#httpAt++].response;
    else {
      if (re !== null && this.#answers === null && this.#env.httpAsync && this.#env.httpAllowed(request)) throw new HttpMiss(request);
      response = this.#answers === null ? this.#env.http(this.fn, request, this.#deadline.remainingMs) : this.#answers.http(request);
      if (re !== null) (re.http.push({ request, response }), this.#httpAt++);
    }
    this.#tape?.http.push({ request, response });
    return response;
  }

  /** The import object: the ABI's host functions bound to this owner, behind the checks. */
  #imports(maxPages: number): WebAssembly.Imports {
    const env: Record<string, (...a: number[]) => unknown> = {};
    const record = this.#env.recordHostCalls;
    for (const h of HOST_FUNCTIONS) {
      const { name, capability, write, key, handler } = h;
      const arity = h.params.length;
      // Each wrapper does only the checks its host function needs: this is on every host call's path.
      const checked = (a: number, b: number, c: number, d: number) => {
        this.#deadline.hostCall();
        if (capability !== null) requireCapability(this.#limits.capMask, capability, this.fn, name);
        if (write && this.#readOnly) throw errors.readOnlyWrite(this.fn, name);
        if (this.#mem === null) {
          throw errors.abi(this.fn, `${name} was called while the module was starting up; call host functions from the entry function only`);
        }
        if (key !== null && (this.#limits.keys !== null || this.#callerKeys !== null)) {
          requireKey(this.#limits.keys, this.#callerKeys, this.#mem.readLatin1(name, a, b), key, this.fn, name);
        }
        return handler(this, a, b, c, d);
      };
      env[name] = record
        ? (a: number, b: number, c: number, d: number) => {
            const result = checked(a, b, c, d);
            this.#hostCalls.push({ name, args: [a, b, c, d].slice(0, arity), result: result ?? null });
            return result;
          }
        : checked;
    }
    return { env, [HOST_MODULE]: { refuel: this.#deadline.refuel, ...memoryImports(maxPages) } };
  }
}

/** The error of a failed start-up (instantiate), said of the function. */
export function startFailure(name: string, e: unknown, timeoutMs: number): FerriteError {
  if (e instanceof FerriteError) return e;
  if (e instanceof TimeoutSignal) {
    const budget = startBudgetMs(timeoutMs);
    return new FerriteError("ERR_TIMEOUT", `function '${name}' timed out while starting up (after ${budget} ms); its start function must return`, name, { timeout_ms: budget });
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new FerriteError("ERR_TRAP", `function '${name}' trapped while starting up: ${reason}`, name, { reason });
}

function trapReason(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return "call stack exhausted (unbounded or too deep recursion)";
  if (e instanceof WebAssembly.RuntimeError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
