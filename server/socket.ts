// One client connection: redis-parser turns bytes into requests, which run in order; replies to
// everything parsed from one read leave in one write (pipelining). Async commands (loads, a Redis
// store) hold later ones in a queue so replies keep their order. Bad input gets a Redis-style
// protocol error and the connection is closed; nothing a client sends can throw out of here.
import type net from "node:net";
import RedisParser from "redis-parser";
import { NOAUTH } from "./auth.js";
import type { AclUser } from "./acl/user.js";
import { refusal } from "./acl/check.js";
import { FLAGS, lookupCommand } from "./commands/index.js";
import type { Client, ServerContext } from "./context.js";
import { splitArgs } from "./inline.js";
import { ErrorReply, ReplyWriter, errorText, type Protocol, type Reply } from "./resp.js";

const STAR = 0x2a;
const EMPTY = Buffer.alloc(0);
/** Largest inline command line (Redis: PROTO_INLINE_MAX_SIZE). */
const MAX_INLINE = 64 * 1024;
/** Most arguments in one request (Redis: 1024*1024). */
const MAX_ARGS = 1024 * 1024;
/** Before AUTH, requests are small: a stranger cannot make the server buffer megabytes. */
const UNAUTH_BYTES = 64 * 1024;
const UNAUTH_ARGS = 10;
/** Requests waiting behind an async one before the socket stops being read. */
const MAX_QUEUE = 1024;
const CLOSE_GRACE_MS = 1000;

const NOAUTH_REPLY = new ErrorReply(NOAUTH);
const WASM_DISABLED = new ErrorReply("ERR WASM functions are disabled on this server; set [wasm] enabled = true to use WASM.* commands");

let nextId = 1;

export class Connection implements Client {
  readonly id = nextId++;
  readonly addr: string;
  readonly createdAt = Date.now();
  proto: Protocol = 2;
  authenticated: boolean;
  user = "default";
  acl: AclUser;
  name: string | null = null;
  libName: string | null = null;
  libVer: string | null = null;
  commands = 0;

  readonly #socket: net.Socket;
  readonly #parser: RedisParser;
  readonly #out = new ReplyWriter();
  readonly #queue: Buffer[][] = [];
  #busy = false;
  #closing = false;
  #quit = false;
  #paused = false;
  #writeBlocked = false;
  /** Bytes received since the last complete request: what a half-sent request holds. */
  #frameBytes = 0;
  /** Offset just past the last complete request in the buffer being parsed. */
  #frameEnd = 0;
  #fatalAt = -1;
  #inline: Buffer | null = null;

  constructor(
    socket: net.Socket,
    readonly server: ServerContext,
    onClose: (c: Connection) => void,
  ) {
    this.#socket = socket;
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    this.authenticated = !server.auth.required;
    this.acl = server.auth.default;
    this.#parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply) => {
        const p = this.#parser;
        this.#frameEnd = p.offset;
        this.#frameBytes = p.buffer === null ? 0 : p.buffer.length - p.offset;
        this.#onRequest(reply);
      },
      returnError: () => this.#protocolError("ERR Protocol error: expected '*', got '-'"),
      returnFatalError: (e) => (this.#fatalAt = (e.offset ?? 0) - 1),
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#flow();
    });
    socket.on("error", () => {}); // resets and broken pipes end in "close"
    socket.on("close", () => {
      this.#closing = true;
      this.#queue.length = 0;
      this.#parser.reset();
      onClose(this);
    });
  }

  closeAfterReply(): void {
    this.#quit = true;
  }

  get closed(): boolean {
    return this.#closing || this.#socket.destroyed;
  }

  /** Server shutdown: send what is pending, then close. */
  shutdown(): void {
    if (this.#socket.destroyed) return;
    this.#closing = true;
    this.#flush();
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    this.#frameBytes += chunk.length;
    this.#feed(chunk);
    if (!this.#closing) this.#checkLimits();
    this.#flush();
  }

  #feed(chunk: Buffer): void {
    let data = chunk;
    if (this.#inline !== null) {
      data = Buffer.concat([this.#inline, data]);
      this.#inline = null;
    }
    while (data.length > 0 && !this.#closing) {
      if (this.#parser.buffer === null && data[0] !== STAR) {
        data = this.#inlineLines(data);
        continue;
      }
      const idle = this.#parser.buffer === null;
      this.#fatalAt = -1;
      this.#frameEnd = 0;
      try {
        this.#parser.execute(data);
      } catch (e) {
        // redis-parser throws on absurd lengths (RangeError) or overflows its stack on deep nesting.
        this.#protocolError(`ERR Protocol error: invalid request (${(e as Error).message})`);
        return;
      }
      if (this.#fatalAt < 0 || this.#closing) return;
      // A byte that starts no RESP type, right after a complete request: the rest is inline.
      if (!idle || this.#fatalAt !== this.#frameEnd) {
        this.#protocolError(`ERR Protocol error: expected '$', got '${printable(data[this.#fatalAt])}'`);
        return;
      }
      this.#parser.reset();
      data = data.subarray(this.#fatalAt);
    }
  }

  /** Runs complete inline lines; returns what follows them (a RESP request) or nothing. */
  #inlineLines(data: Buffer): Buffer {
    let start = 0;
    while (start < data.length && data[start] !== STAR && !this.#closing) {
      const nl = data.indexOf(10, start);
      if (nl < 0) {
        if (data.length - start > MAX_INLINE) this.#protocolError("ERR Protocol error: too big inline request");
        else this.#inline = Buffer.from(data.subarray(start)); // a copy: the chunk is not ours to keep
        return EMPTY;
      }
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      const args = splitArgs(data.toString("latin1", start, end));
      start = nl + 1;
      this.#frameBytes = data.length - start;
      if (args === null) this.#protocolError("ERR Protocol error: unbalanced quotes in request");
      else if (args.length > 0) this.#onRequest(args);
    }
    return this.#closing ? EMPTY : data.subarray(start);
  }

  /** What a half-received request may hold, checked after every read. */
  #checkLimits(): void {
    const p = this.#parser;
    const maxBulk = this.authenticated ? this.server.settings.maxBulkLen : UNAUTH_BYTES;
    const maxArgs = this.authenticated ? MAX_ARGS : UNAUTH_ARGS;
    if (p.arrayCache.length > 1) return this.#protocolError("ERR Protocol error: expected '$', got '*'");
    if (p.arrayCache.length === 1 && p.arrayCache[0].length > maxArgs) {
      return this.#protocolError(
        this.authenticated ? "ERR Protocol error: invalid multibulk length" : "ERR Protocol error: unauthenticated multibulk length",
      );
    }
    if (p.bigStrSize > 0 && p.bigStrSize - p.bufferCache[0].length > maxBulk) {
      return this.#protocolError(this.#bulkTooBig(maxBulk));
    }
    // All arguments together: room for one maximal bulk plus as much again of smaller ones.
    if (this.#frameBytes > 2 * maxBulk) return this.#protocolError(this.#bulkTooBig(maxBulk));
  }

  #bulkTooBig(maxBulk: number): string {
    return this.authenticated
      ? `ERR Protocol error: invalid bulk length (a request argument may be at most ${maxBulk} bytes; raise [server] max_bulk_len or CONFIG SET proto-max-bulk-len)`
      : "ERR Protocol error: unauthenticated bulk length";
  }

  #onRequest(reply: unknown): void {
    if (this.#closing) return;
    if (!Array.isArray(reply)) {
      if (reply !== null) this.#protocolError(`ERR Protocol error: expected '*', got '${typeByte(reply)}'`);
      return; // "*-1" is ignored, as Redis does
    }
    if (reply.length === 0) return;
    for (let i = 0; i < reply.length; i++) {
      if (!Buffer.isBuffer(reply[i])) return this.#protocolError(`ERR Protocol error: expected '$', got '${typeByte(reply[i])}'`);
    }
    if (this.#busy) {
      this.#queue.push(reply as Buffer[]);
      if (this.#queue.length >= MAX_QUEUE) this.#flow();
      return;
    }
    this.#execute(reply as Buffer[]);
  }

  #execute(args: Buffer[]): void {
    const reply = this.#dispatch(args);
    if (reply instanceof Promise) {
      this.#busy = true;
      reply.then(
        (r) => this.#settled(r),
        (e) => this.#settled(new ErrorReply(errorText(e))),
      );
    } else {
      this.#write(reply);
    }
  }

  #dispatch(args: Buffer[]): Reply | Promise<Reply> {
    const server = this.server;
    server.stats.commandsProcessed++;
    this.commands++;
    const spec = lookupCommand(args[0]);
    if (spec === undefined) return new ErrorReply(unknownCommand(args));
    if (!this.authenticated && !FLAGS.noauth.has(spec.name)) return NOAUTH_REPLY;
    const n = args.length;
    if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity || (spec.maxArgs !== undefined && n > spec.maxArgs)) {
      return new ErrorReply(`ERR wrong number of arguments for '${spec.name}' command`);
    }
    if (!server.config.wasm.enabled && FLAGS.wasm.has(spec.name)) return WASM_DISABLED;
    if (!this.acl.unrestricted) {
      const refused = refusal(this.acl, spec, args);
      if (refused !== null) return refused;
    }
    try {
      // Triggers run before the write; a refusal means the handler never runs.
      const refused = FLAGS.write.has(spec.name) ? server.triggers.check(spec.name, args, this) : null;
      if (refused === null) return spec.handler(this, args);
      if (typeof refused === "string") return new ErrorReply(refused);
      return refused.then((r) => (r === null ? spec.handler(this, args) : new ErrorReply(r)));
    } catch (e) {
      return new ErrorReply(errorText(e));
    }
  }

  #write(reply: Reply): void {
    this.#out.write(reply, this.proto);
    if (this.#quit && !this.#closing) {
      this.#closing = true;
      this.#queue.length = 0;
      this.#flush();
      this.#socket.end();
    }
  }

  #settled(reply: Reply): void {
    this.#busy = false;
    if (this.#socket.destroyed || this.#socket.writableEnded) return;
    this.#write(reply);
    while (!this.#busy && !this.#closing && this.#queue.length > 0) this.#execute(this.#queue.shift()!);
    this.#flush();
    this.#flow();
  }

  #flush(): void {
    if (this.#out.length === 0 || this.#socket.destroyed || this.#socket.writableEnded) return;
    if (!this.#socket.write(this.#out.take())) {
      this.#writeBlocked = true;
      this.#flow();
    }
  }

  /** Stops reading while the client does not read its replies or too many requests wait. */
  #flow(): void {
    const stop = this.#writeBlocked || this.#queue.length >= MAX_QUEUE;
    if (stop && !this.#paused) this.#socket.pause();
    else if (!stop && this.#paused) this.#socket.resume();
    this.#paused = stop;
  }

  #protocolError(text: string): void {
    if (this.#closing) return;
    this.server.stats.protocolErrors++;
    this.#out.error(text);
    this.#closing = true;
    this.#queue.length = 0;
    this.#flush();
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/** Redis's text, byte for byte: the name and up to 128 characters of arguments, each quoted. */
export function unknownCommand(args: Buffer[]): string {
  let list = "";
  for (let i = 1; i < args.length && list.length < 128; i++) list += `'${args[i].toString().slice(0, 128 - list.length)}' `;
  return `ERR unknown command '${args[0].toString().slice(0, 128)}', with args beginning with: ${list}`;
}

function typeByte(value: unknown): string {
  if (Array.isArray(value)) return "*";
  if (typeof value === "number") return ":";
  if (value instanceof Error) return "-";
  return "$";
}

function printable(byte: number | undefined): string {
  return byte !== undefined && byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${(byte ?? 0).toString(16).padStart(2, "0")}`;
}
