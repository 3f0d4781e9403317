// THE host-function table of ABI v1: each import's signature, the capability it needs, whether it
// writes, and its handler. call.ts links it; capabilities.ts enforces `capability` and `write`.
// Handlers only do the work: they never check capabilities, limits or read-only mode.
import type { KeyAccess } from "../capabilities.js";
import type { Capability, HttpRequest, HttpResponse, LogLevel } from "../options.js";
import type { Transaction } from "../store/transaction.js";
import type { GuestMemory } from "./guest-memory.js";
import { decodeAbort } from "./abort.js";

export type WasmType = "i32" | "i64" | "f64";

/** What a handler may touch during one call (call.ts owns the state behind it). */
export interface HostContext {
  readonly fn: string;
  readonly mem: GuestMemory;
  readonly tx: Transaction;
  readonly args: Uint8Array[];
  /** ferrite_return: the call's result (a later one replaces an earlier one). */
  setReturn(ptr: number, len: number): void;
  /** ferrite_error: marks the call failed with this message. */
  setError(message: string): void;
  now(): number;
  random(): number;
  log(level: LogLevel, message: string): void;
  http(request: HttpRequest): HttpResponse;
}

export interface HostFunction {
  name: string;
  params: readonly WasmType[];
  results: readonly WasmType[];
  capability: Capability | null;
  /** Refused in WASM.CALLREAD whatever the capabilities. */
  write: boolean;
  /** Takes a key as its first (ptr, len) pair, checked against KEYS and the caller's key permissions. */
  key: KeyAccess | null;
  handler: (ctx: HostContext, ...args: number[]) => number | bigint | void;
}

/** Thrown by env.abort after recording its message: ends the call as a failure. */
export class GuestAbort {
  constructor(readonly message: string) {}
}

export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];

const I32 = "i32" as const;
const encoder = new TextEncoder();

export const HOST_FUNCTIONS: readonly HostFunction[] = [
  {
    name: "ferrite_get",
    params: [I32, I32],
    results: [I32],
    capability: "read",
    write: false,
    key: "read",
    handler(ctx, kp, kl) {
      const value = ctx.tx.get(ctx.mem.read("ferrite_get", kp, kl));
      return value === null ? 0 : ctx.mem.writeBlock("ferrite_get", value);
    },
  },
  {
    name: "ferrite_exists",
    params: [I32, I32],
    results: [I32],
    capability: "read",
    write: false,
    key: "read",
    handler: (ctx, kp, kl) => (ctx.tx.exists(ctx.mem.read("ferrite_exists", kp, kl)) ? 1 : 0),
  },
  {
    name: "ferrite_set",
    params: [I32, I32, I32, I32],
    results: [I32],
    capability: "write",
    write: true,
    key: "write",
    handler(ctx, kp, kl, vp, vl) {
      ctx.tx.set(ctx.mem.read("ferrite_set", kp, kl), ctx.mem.read("ferrite_set", vp, vl));
      return 0;
    },
  },
  {
    name: "ferrite_del",
    params: [I32, I32],
    results: [I32],
    capability: "delete",
    write: true,
    key: "delete",
    handler: (ctx, kp, kl) => (ctx.tx.del(ctx.mem.read("ferrite_del", kp, kl)) ? 1 : 0),
  },
  {
    name: "ferrite_return",
    params: [I32, I32],
    results: [],
    capability: null,
    write: false,
    key: null,
    handler(ctx, p, l) {
      ctx.setReturn(p, l);
    },
  },
  {
    name: "ferrite_error",
    params: [I32, I32],
    results: [],
    capability: null,
    write: false,
    key: null,
    handler(ctx, p, l) {
      ctx.setError(ctx.mem.readString("ferrite_error", p, l));
    },
  },
  {
    name: "ferrite_log",
    params: [I32, I32, I32],
    results: [],
    capability: "log",
    write: false,
    key: null,
    handler(ctx, level, p, l) {
      const message = ctx.mem.readString("ferrite_log", p, l);
      ctx.log(LOG_LEVELS[Math.min(Math.max(level | 0, 0), 4)], message);
    },
  },
  {
    name: "ferrite_now",
    params: [],
    results: ["i64"],
    capability: "time",
    write: false,
    key: null,
    handler: (ctx) => BigInt(Math.floor(ctx.now())),
  },
  {
    name: "ferrite_random",
    params: [],
    results: ["f64"],
    capability: "random",
    write: false,
    key: null,
    handler: (ctx) => ctx.random(),
  },
  {
    name: "ferrite_arg_count",
    params: [],
    results: [I32],
    capability: null,
    write: false,
    key: null,
    handler: (ctx) => ctx.args.length,
  },
  {
    name: "ferrite_arg",
    params: [I32],
    results: [I32],
    capability: null,
    write: false,
    key: null,
    handler(ctx, index) {
      const arg = index >= 0 && index < ctx.args.length ? ctx.args[index] : undefined;
      return arg === undefined ? 0 : ctx.mem.writeBlock("ferrite_arg", arg);
    },
  },
  {
    name: "ferrite_http",
    params: [I32, I32],
    results: [I32],
    capability: "http",
    write: false,
    key: null,
    handler(ctx, p, l) {
      const response = ctx.http(parseHttpRequest(ctx.mem.readString("ferrite_http", p, l)));
      return ctx.mem.writeBlock("ferrite_http", encoder.encode(JSON.stringify(response)));
    },
  },
  {
    // AssemblyScript's default abort; the SDK routes abort to ferrite_error, other builds may not.
    name: "abort",
    params: [I32, I32, I32, I32],
    results: [],
    capability: null,
    write: false,
    key: null,
    handler(ctx, msg, file, line, col) {
      const message = decodeAbort(ctx.mem, msg, file, line, col);
      ctx.setError(message);
      throw new GuestAbort(message);
    },
  },
];

export const HOST_BY_NAME: ReadonlyMap<string, HostFunction> = new Map(HOST_FUNCTIONS.map((h) => [h.name, h]));

/** A request that is not the ABI's JSON shape becomes a failed response, not a failed call. */
function parseHttpRequest(text: string): HttpRequest {
  let raw: { method?: unknown; url?: unknown; headers?: unknown; body?: unknown } | null;
  try {
    const parsed: unknown = JSON.parse(text);
    raw = parsed !== null && typeof parsed === "object" ? parsed : null;
  } catch {
    raw = null;
  }
  return {
    method: typeof raw?.method === "string" ? raw.method.toUpperCase() : "GET",
    url: typeof raw?.url === "string" ? raw.url : "",
    headers: raw?.headers && typeof raw.headers === "object" ? (raw.headers as Record<string, string>) : {},
    body: typeof raw?.body === "string" ? raw.body : "",
  };
}
