// A typed client for WASM.* on ioredis, mirroring the spec's Rust API (wasm_load, wasm_call, ...).
// An error reply becomes a FerriteReplyError whose code comes from the reply's first word
// (NOFUNC -> ERR_UNKNOWN_FUNCTION, TIMEOUT -> ERR_TIMEOUT, ...: docs/abi.md); a server without
// functions (plain Redis, released Ferrite 0.2) gets a specific error that says what to run instead.
import { Redis, type RedisOptions } from "ioredis";
import type { AllStats, Capability, ErrorCode, FunctionInfo, FunctionStats } from "../runtime-sim/index.js";
import { FerriteReplyError } from "../runtime-sim/host.js";

export { FerriteReplyError };
export type { ErrorCode };

export interface WasmLoadOptions {
  /** Granted capabilities; "all" grants every one. Default: the server's default set. */
  capabilities?: readonly (Capability | "all")[];
  /** "10MB", "512KB" or bytes. */
  memory?: string | number;
  /** Wall-clock limit per call in ms. */
  timeoutMs?: number;
  /** Replace a function already loaded under this name. */
  replace?: boolean;
}
export type WasmUpdateOptions = Omit<WasmLoadOptions, "replace">;
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

  /** From a URL (redis://user:pass@host:port/db, rediss:// for TLS), options, or an ioredis client. */
  constructor(target: string | RedisOptions | Redis = "redis://127.0.0.1:6379", options: RedisOptions = {}) {
    if (target instanceof Redis) this.redis = target;
    else if (typeof target === "string") this.redis = new Redis(target, options);
    else this.redis = new Redis({ ...target, ...options });
  }

  static connect(url?: string, options?: RedisOptions): FerriteClient {
    return new FerriteClient(url, options);
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
  if (o.replace) args.push("REPLACE");
  return args;
}

function toBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function toArg(a: WasmArg): string | Buffer {
  return typeof a === "string" ? a : toBuffer(a);
}
