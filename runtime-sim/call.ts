// One call: arguments -> guest -> reply, inside a transaction. This is where the host table is
// linked to a function, so it is also where every host call passes the capability, read-only and
// deadline checks (handlers in abi/host-table.ts never check anything themselves).
import { performance } from "node:perf_hooks";
import { HOST_FUNCTIONS, GuestAbort, type HostContext } from "./abi/host-table.js";
import { GuestMemory, OutOfGuestMemory } from "./abi/guest-memory.js";
import { requireCapability } from "./capabilities.js";
import { Deadline, TimeoutSignal } from "./limits/deadline.js";
import { errors, FerriteError } from "./errors.js";
import { Transaction } from "./store/transaction.js";
import type { Store } from "./store/store.js";
import { AnswerSource } from "./answers.js";
import type { CallArg, CallResult, HostCall, HttpRequest, HttpResponse, LogEntry, LogLevel, RecordedAnswers } from "./options.js";
import type { Isolate } from "./isolation.js";

/** Thrown by `__ferrite.oom` when the guest grows memory past its limit. */
export class MemoryLimitSignal {
  constructor(readonly pages: number) {}
}

/** What a call context needs from the runtime around it. */
export interface CallEnv {
  store: Store;
  clock: () => number;
  random: () => number;
  onLog?: (entry: LogEntry) => void;
  recordHostCalls: boolean;
  http(fn: string, request: HttpRequest, remainingMs?: number): HttpResponse;
}

const utf8 = new TextEncoder();

/** The mutable state of one function's calls; one per function, reused call after call. */
export class CallContext implements HostContext {
  mem!: GuestMemory;
  tx: Transaction;
  returned: Uint8Array | null = null;
  errorMessage: string | null = null;
  logs: LogEntry[] = [];
  hostCalls: HostCall[] = [];
  capMask = 0;
  readOnly = false;
  readonly deadline = new Deadline();
  /** Answers of now/random/http in order, kept when a trap may need replaying (sourcemap.ts) or
   * the call is recorded (flight recorder). */
  tape: RecordedAnswers | null = null;
  /** Keep the tape on every call: the function has a source map. */
  keepTape = false;
  /** Replay: now/random/http are answered from a recorded call. */
  #answers: AnswerSource | null = null;
  #rawArgs: readonly CallArg[] = [];
  #args: Uint8Array[] | null = null;

  constructor(
    readonly fn: string,
    readonly env: CallEnv,
  ) {
    this.tx = new Transaction(env.store);
  }

  get args(): Uint8Array[] {
    this.#args ??= this.#rawArgs.map((a) => (typeof a === "string" ? Buffer.from(a, "utf8") : a));
    return this.#args;
  }
  set args(value: Uint8Array[]) {
    this.#args = value;
  }

  begin(args: readonly CallArg[], readOnly: boolean, capMask: number, record = false, answers?: RecordedAnswers): void {
    this.#rawArgs = args;
    this.#args = null;
    this.returned = null;
    this.errorMessage = null;
    if (this.logs.length) this.logs = [];
    if (this.hostCalls.length) this.hostCalls = [];
    this.readOnly = readOnly;
    this.capMask = capMask;
    this.tx.reset(this.env.store);
    const reads = this.tx.reads;
    if (record) {
      if (reads === null) this.tx.reads = [];
      else if (reads.length) reads.length = 0;
    } else if (reads !== null) this.tx.reads = null;
    this.tape = record || this.keepTape ? emptyTape(this.tape) : null;
    this.#answers = answers === undefined ? null : new AnswerSource(answers, this.env.clock);
    this.mem.dirtyLo = 0xffffffff;
    this.mem.dirtyHi = 0;
  }

  now(): number {
    const t = this.#answers === null ? this.env.clock() : this.#answers.now();
    this.tape?.now.push(t);
    return t;
  }
  random(): number {
    const r = this.#answers === null ? this.env.random() : this.#answers.random();
    this.tape?.random.push(r);
    return r;
  }
  log(level: LogLevel, message: string): void {
    const entry: LogEntry = { function: this.fn, level, message, time: this.env.clock() };
    this.logs.push(entry);
    this.env.onLog?.(entry);
  }
  http(request: HttpRequest): HttpResponse {
    const response = this.#answers === null ? this.env.http(this.fn, request, this.deadline.remainingMs) : this.#answers.http(request);
    this.tape?.http.push({ request, response });
    return response;
  }

  /** The import object: the ABI's host functions bound to this context, behind the checks. */
  imports(maxPages: number): WebAssembly.Imports {
    const env: Record<string, (...a: number[]) => unknown> = {};
    for (const h of HOST_FUNCTIONS) {
      const { name, capability, write, handler } = h;
      env[name] = (a: number, b: number, c: number, d: number) => {
        this.deadline.hostCall();
        if (capability !== null) requireCapability(this.capMask, capability, this.fn, name);
        if (write && this.readOnly) throw errors.readOnlyWrite(this.fn, name);
        if (this.mem === undefined) {
          throw errors.abi(this.fn, `${name} was called while the module was starting up; call host functions from the entry function only`);
        }
        const result = handler(this, a, b, c, d);
        if (this.env.recordHostCalls) {
          this.hostCalls.push({ name, args: [a, b, c, d].slice(0, h.params.length), result: result ?? null });
        }
        return result;
      };
    }
    return {
      env,
      __ferrite: {
        refuel: this.deadline.refuel,
        oom: (pages: number) => {
          throw new MemoryLimitSignal(pages >>> 0);
        },
        max_pages: new WebAssembly.Global({ value: "i32", mutable: false }, maxPages),
      },
    };
  }
}

/** The tape emptied for a new call (reused unless a record took it). */
function emptyTape(t: RecordedAnswers | null): RecordedAnswers {
  if (t === null) return { now: [], random: [], http: [] };
  if (t.now.length) t.now.length = 0;
  if (t.random.length) t.random.length = 0;
  if (t.http.length) t.http.length = 0;
  return t;
}

export interface CallTarget {
  name: string;
  ctx: CallContext;
  isolate: Isolate;
  entry: (ptr: number, len: number) => number;
  timeoutMs: number;
  memoryLimitText: string;
}

export interface RawOutcome {
  result: CallResult;
  timedOut: boolean;
  memoryBytes: number;
  /** A trap whose position the source map may tell (sourcemap.ts replays it). */
  trapped: boolean;
}

/** Runs the entry once. Never throws for anything the guest does. */
export function runCall(t: CallTarget, args: readonly CallArg[]): RawOutcome {
  const { ctx, isolate, name } = t;
  ctx.deadline.begin(t.timeoutMs);
  const started = ctx.deadline.startedAt;
  let status = 0;
  let failure: FerriteError | null = null;
  let timedOut = false;
  let trapped = false;
  try {
    const [ptr, len] = writeInput(ctx, args);
    status = t.entry(ptr, len) | 0;
  } catch (e) {
    if (e instanceof TimeoutSignal) {
      timedOut = true;
      failure = errors.timedOut(name, t.timeoutMs);
    } else if (e instanceof MemoryLimitSignal || e instanceof OutOfGuestMemory) {
      failure = errors.memory(name, t.memoryLimitText);
    } else if (e instanceof FerriteError) {
      failure = e;
    } else if (e instanceof GuestAbort) {
      failure = errors.guest(name, e.message);
    } else if (ctx.errorMessage !== null) {
      failure = errors.guest(name, ctx.errorMessage); // ferrite_error, then a trap: the SDK's abort
    } else {
      trapped = true;
      failure = errors.trapped(name, trapReason(e));
    }
  }
  if (failure === null && ctx.errorMessage !== null) failure = errors.guest(name, ctx.errorMessage);
  if (failure === null && status !== 0) failure = errors.status(name, status);

  const ok = failure === null;
  let writes;
  try {
    writes = ok ? ctx.tx.commit() : ctx.tx.writes.slice();
  } catch (e) {
    failure = new FerriteError("ERR_STORE", `function '${name}' could not apply its writes: ${(e as Error).message}`, name);
    writes = ctx.tx.writes.slice();
  }
  const result: CallResult = {
    ok: failure === null,
    value: failure === null ? ctx.returned : null,
    error: failure,
    logs: ctx.logs,
    writes,
    hostCalls: ctx.hostCalls,
    durationMs: performance.now() - started,
  };
  return { result, timedOut, memoryBytes: isolate.memoryBytes, trapped };
}

/** Writes the arguments joined by "\n" straight into a guest block: no intermediate copy. */
export function writeInput(ctx: CallContext, args: readonly CallArg[]): [number, number] {
  if (args.length === 0) return [0, 0];
  let len = args.length - 1;
  for (const a of args) len += typeof a === "string" ? Buffer.byteLength(a, "utf8") : a.byteLength;
  const mem = ctx.mem;
  const ptr = mem.alloc(len) >>> 0;
  if (ptr === 0 && len > 0) throw new OutOfGuestMemory(len);
  const bytes = mem.bytes;
  if (ptr + len > bytes.byteLength) throw errors.abi(ctx.fn, `ferrite_alloc(${len}) returned ${ptr}, past the end of memory`);
  let at = ptr;
  for (let i = 0; i < args.length; i++) {
    if (i > 0) bytes[at++] = 10;
    const a = args[i];
    if (typeof a === "string") at += utf8.encodeInto(a, bytes.subarray(at)).written;
    else {
      bytes.set(a, at);
      at += a.byteLength;
    }
  }
  if (ptr < mem.dirtyLo) mem.dirtyLo = ptr;
  if (at > mem.dirtyHi) mem.dirtyHi = at;
  return [ptr, len];
}

function trapReason(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return "call stack exhausted (unbounded or too deep recursion)";
  if (e instanceof WebAssembly.RuntimeError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
