// A typed client for WASM.* on ioredis, mirroring the spec's Rust API (wasm_load, wasm_call, ...).
// An error reply becomes a FerriteReplyError whose code comes from the reply's first word
// (NOFUNC -> ERR_UNKNOWN_FUNCTION, TIMEOUT -> ERR_TIMEOUT, ...: docs/abi.md); a server without
// functions (plain Redis, released Ferrite 0.2) gets a specific error that says what to run instead.
import { readFileSync } from "node:fs";
import { Redis, type RedisOptions } from "ioredis";
import type { AllStats, Capability, ErrorCode, FailedCallJSON, FunctionInfo, FunctionStats } from "../runtime-sim/index.js";
import { FerriteReplyError } from "../runtime-sim/host.js";
import { missingPermission } from "./acl/hint.js";

export { FerriteReplyError };
export type { ErrorCode };

export interface WasmLoadOptions {
  /** Granted capabilities; "all" grants every one. Default: the server's default set. */
  capabilities?: readonly (Capability | "all")[];
  /** "10MB", "512KB" or bytes. */
  memory?: string | number;
  /** Wall-clock limit per call in ms. */
  timeoutMs?: number;
  /** KEYS: Redis globs over the keys the function's host calls may touch. Default: every key. */
  keys?: readonly string[];
  /** Replace a function already loaded under this name. */
  replace?: boolean;
}
export type WasmUpdateOptions = Omit<WasmLoadOptions, "replace">;

/** One WASM.LOGS entry: a log line, a call event, or a notice that entries were dropped. */
export interface WasmLogEntry {
  /** Stream id "<ms>-<seq>"; pass the last one seen as `since` to read on. */
  id: string;
  type: "log" | "call" | "dropped";
  function: string;
  version: number | null;
  /** ms since the epoch (absent on a notice). */
  time?: number;
  /** log: trace | debug | info | warn | error. */
  level?: string;
  /** log: the line; dropped: what was lost. */
  message?: string;
  /** call: how long it ran. */
  duration_us?: number;
  /** call: wasm.call, wasm.callread or "trigger <name>". */
  via?: string;
  /** call: "ok" or the error code (ERR_TRAP, ...). */
  outcome?: string;
  /** call: the error reply. */
  error?: string;
  /** call: the flight recorder kept it (`ferrite-wasm replay`). */
  recorded?: boolean;
  /** dropped: the newest entry lost. */
  up_to?: string;
}

export interface WasmLogsOptions {
  /** Only these functions (default: all). */
  functions?: readonly string[];
  /** Most entries (server default 100). */
  count?: number;
  /** Entries after this id, a time in ms, or "$" (new ones only). Default: the newest `count`. */
  since?: string;
  /** Wait up to this many ms for an entry (0: no limit). */
  block?: number;
}

/** One WASM.SLOWLOG GET entry, as Redis's SLOWLOG GET. */
export interface WasmSlowlogEntry {
  id: number;
  /** Unix time, seconds. */
  time: number;
  duration_us: number;
  args: string[];
  addr: string;
  name: string;
}

/** One WASM.FAILURES LIST entry. */
export interface WasmFailureSummary {
  id: string;
  function: string;
  version: number | null;
  time: string;
  code: string;
  error: string;
  bytes: number;
}
export type WasmArg = string | Uint8Array;

/** The server does not know WASM.LOADB & co.: it is not a ferrite-wasm (or functions-enabled Ferrite) server. */
export class FunctionsUnsupportedError extends FerriteReplyError {
  constructor(reply: string, command: string, where: string) {
    super(reply, command, "ERR_NO_FUNCTIONS");
    this.name = "FunctionsUnsupportedError [ERR_NO_FUNCTIONS]";
    this.message =
      `the server at ${where} cannot run ferrite-wasm functions: it answered "${reply.trim()}" ` +
      "(a plain Redis or a released Ferrite 0.2 does). Start a server with `ferrite-wasm serve`, or use a Ferrite build with functions.";
  }
}

const UNKNOWN_WASM = /^ERR unknown command '(WASM\.[A-Z]+)'/i;

export class FerriteClient {
  readonly redis: Redis;
  #probed: Promise<void> | null = null;

  /**
   * From a URL (redis://user:pass@host:port/db, rediss:// for TLS), options, or an ioredis client.
   * TLS files go in `options.tls` ({ ca, cert, key }); `tlsFiles()` reads them from paths.
   */
  constructor(target: string | RedisOptions | Redis = "redis://127.0.0.1:6379", options: RedisOptions = {}) {
    if (target instanceof Redis) this.redis = target;
    // No INFO ready check: a user limited to functions may not run INFO (ioredis would warn each time).
    else if (typeof target === "string") this.redis = new Redis(target, { enableReadyCheck: false, ...options });
    else this.redis = new Redis({ enableReadyCheck: false, ...target, ...options });
  }

  static connect(url?: string, options?: RedisOptions): FerriteClient {
    return new FerriteClient(url, options);
  }

  /** ioredis `tls` options from PEM files: the CA that signed the server, and a client certificate. */
  static tlsFiles(files: { ca?: string; cert?: string; key?: string }): NonNullable<RedisOptions["tls"]> {
    const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
    return { ca: read(files.ca), cert: read(files.cert), key: read(files.key) };
  }

  /** For a NOPERM reply: what to grant (`ACL SETUSER user +@wasm-deploy`, a key pattern); null for other replies. */
  static missingPermission(reply: string): string | null {
    return missingPermission(reply);
  }

  get #where(): string {
    const o = this.redis.options;
    return o.path ?? `${o.host}:${o.port}`;
  }

  async #send(command: string, args: (string | number | Buffer)[], buffer = false): Promise<unknown> {
    try {
      return buffer ? await this.redis.callBuffer(command, ...args) : await this.redis.call(command, ...args);
    } catch (e) {
      const err = e as Error;
      if (err?.name !== "ReplyError") throw e;
      if (UNKNOWN_WASM.test(err.message)) throw new FunctionsUnsupportedError(err.message, command, this.#where);
      throw new FerriteReplyError(err.message, command);
    }
  }

  /**
   * Fails with FunctionsUnsupportedError unless the server runs functions. A released Ferrite answers
   * WASM.LOAD with +OK and stores nothing, so wasmLoad asks this first (once per client).
   */
  ensureFunctions(): Promise<void> {
    this.#probed ??= this.#send("WASM.LOADB", []).then(
      () => {},
      (e) => {
        if (e instanceof FunctionsUnsupportedError) throw e;
        if (e instanceof FerriteReplyError && /wrong number of arguments/i.test(e.reply)) return; // it knows the command
        throw e;
      },
    );
    this.#probed.catch(() => (this.#probed = null));
    return this.#probed;
  }

  /** WASM.LOAD: `path` is resolved inside the server's plugins_dir. */
  async wasmLoad(name: string, path: string, options: WasmLoadOptions = {}): Promise<void> {
    await this.ensureFunctions();
    await this.#send("WASM.LOAD", [name, path, ...loadArgs(options)]);
  }

  /** WASM.LOADB: sends the module's bytes. */
  async wasmLoadB(name: string, bytes: Uint8Array, options: WasmLoadOptions = {}): Promise<void> {
    await this.#send("WASM.LOADB", [name, toBuffer(bytes), ...loadArgs(options)]);
  }

  /** WASM.CALL; the reply as UTF-8 text, or null when the function returned nothing. */
  async wasmCall(name: string, args: readonly WasmArg[] = []): Promise<string | null> {
    const r = (await this.#send("WASM.CALL", [name, ...args.map(toArg)], true)) as Buffer | null;
    return r === null ? null : r.toString("utf8");
  }

  /** WASM.CALL with the reply as bytes. */
  wasmCallBuffer(name: string, args: readonly WasmArg[] = []): Promise<Buffer | null> {
    return this.#send("WASM.CALL", [name, ...args.map(toArg)], true) as Promise<Buffer | null>;
  }

  /** WASM.CALLREAD: any write fails the call. */
  async wasmCallRead(name: string, args: readonly WasmArg[] = []): Promise<string | null> {
    const r = (await this.#send("WASM.CALLREAD", [name, ...args.map(toArg)], true)) as Buffer | null;
    return r === null ? null : r.toString("utf8");
  }

  async wasmList(): Promise<string[]> {
    return (await this.#send("WASM.LIST", [])) as string[];
  }

  async wasmInfo(name: string): Promise<FunctionInfo> {
    return JSON.parse((await this.#send("WASM.INFO", [name])) as string) as FunctionInfo;
  }

  wasmStats(): Promise<AllStats>;
  wasmStats(name: string): Promise<FunctionStats>;
  async wasmStats(name?: string): Promise<FunctionStats | AllStats> {
    return JSON.parse((await this.#send("WASM.STATS", name === undefined ? [] : [name])) as string);
  }

  async wasmUpdate(name: string, options: WasmUpdateOptions): Promise<void> {
    await this.#send("WASM.UPDATE", [name, ...loadArgs(options)]);
  }

  async wasmReload(name: string): Promise<void> {
    await this.#send("WASM.RELOAD", [name]);
  }

  async wasmUnload(name: string): Promise<void> {
    await this.#send("WASM.UNLOAD", [name]);
  }

  /** WASM.LOGS: log lines and call events, oldest first. */
  async wasmLogs(options: WasmLogsOptions = {}): Promise<WasmLogEntry[]> {
    const args: (string | number)[] = [];
    if (options.count !== undefined) args.push("COUNT", options.count);
    if (options.since !== undefined) args.push("SINCE", options.since);
    if (options.block !== undefined) args.push("BLOCK", options.block);
    if (options.functions?.length) args.push("FUNCTIONS", ...options.functions);
    const reply = (await this.#send("WASM.LOGS", args)) as [string, string[]][];
    return reply.map(([id, fields]) => logEntry(id, fields));
  }

  /** WASM.SLOWLOG GET [count]: newest first. */
  async wasmSlowlogGet(count?: number): Promise<WasmSlowlogEntry[]> {
    const reply = (await this.#send("WASM.SLOWLOG", count === undefined ? ["GET"] : ["GET", count])) as [number, number, number, string[], string, string][];
    return reply.map(([id, time, duration_us, args, addr, name]) => ({ id, time, duration_us, args, addr, name }));
  }

  async wasmSlowlogLen(): Promise<number> {
    return (await this.#send("WASM.SLOWLOG", ["LEN"])) as number;
  }

  async wasmSlowlogReset(): Promise<void> {
    await this.#send("WASM.SLOWLOG", ["RESET"]);
  }

  /** WASM.FAILURES LIST: the failed calls the flight recorder keeps, newest first. */
  async wasmFailures(fn?: string): Promise<WasmFailureSummary[]> {
    return JSON.parse((await this.#send("WASM.FAILURES", fn === undefined ? ["LIST"] : ["LIST", fn])) as string);
  }

  /** WASM.FAILURES GET: one failed call's record (default: the function's newest), or null. */
  async wasmFailure(fn: string, id?: string): Promise<FailedCallJSON | null> {
    const r = (await this.#send("WASM.FAILURES", id === undefined ? ["GET", fn] : ["GET", fn, id])) as string | null;
    return r === null ? null : (JSON.parse(r) as FailedCallJSON);
  }

  /** WASM.DUMP: a kept version's module bytes (default: the active version). */
  async wasmDump(name: string, version?: number): Promise<Buffer> {
    return (await this.#send("WASM.DUMP", version === undefined ? [name] : [name, version], true)) as Buffer;
  }

  /** WASM.DUMP ... SOURCEMAP: the source map the server keeps for that version, or null. */
  async wasmDumpSourceMap(name: string, version?: number): Promise<string | null> {
    const r = (await this.#send("WASM.DUMP", version === undefined ? [name, "SOURCEMAP"] : [name, version, "SOURCEMAP"], true)) as Buffer | null;
    return r === null ? null : r.toString("utf8");
  }

  /** Sends QUIT and waits for the connection to close. */
  async quit(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  disconnect(): void {
    this.redis.disconnect();
  }
}

function loadArgs(o: WasmLoadOptions): (string | number)[] {
  const args: (string | number)[] = [];
  if (o.capabilities) args.push("CAPABILITIES", ...o.capabilities);
  if (o.memory !== undefined) args.push("MEMORY", String(o.memory));
  if (o.timeoutMs !== undefined) args.push("TIMEOUT", o.timeoutMs);
  if (o.keys?.length) args.push("KEYS", ...o.keys);
  if (o.replace) args.push("REPLACE");
  return args;
}

function toBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function toArg(a: WasmArg): string | Buffer {
  return typeof a === "string" ? a : toBuffer(a);
}

const NUMERIC = new Set(["time", "duration_us"]);

function logEntry(id: string, fields: string[]): WasmLogEntry {
  const e: Record<string, unknown> = { id };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [k, v] = [fields[i], fields[i + 1]];
    if (k === "version") e.version = v === "" ? null : Number(v);
    else if (k === "recorded") e.recorded = v === "1";
    else e[k] = NUMERIC.has(k) ? Number(v) : v;
  }
  if (e.type === "call" && e.recorded === undefined) e.recorded = false;
  e.version ??= null;
  return e as unknown as WasmLogEntry;
}
