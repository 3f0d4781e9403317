// One client connection, as Redis's processCommand: requests (requests.ts) are checked, queued inside
// MULTI or run in order; replies to everything parsed from one read leave in one write (output.ts).
// Async commands (loads, a Redis store) hold later ones in a queue so replies keep their order.
// Bad input gets a Redis-style protocol error and the connection is closed; nothing a client sends
// can throw out of here.
//
// Memory per client is bounded: when the socket says its buffer is full (a client that does not
// read), requests stop running and the socket stops being read until it drains; a reply past
// client_output_buffer_limit, or a request past client_query_buffer_limit, closes the client,
// logged as Redis logs it.
import type net from "node:net";
import { NOAUTH } from "./auth.js";
import type { AclUser } from "./acl/user.js";
import { refusal } from "./acl/check.js";
import { FLAGS, resolveCommand, type CommandSpec } from "./commands/index.js";
import type { Client, ClientBuffers, ServerContext } from "./context.js";
import { monitorLine } from "./monitor.js";
import { ClientTransaction, IMMEDIATE_IN_MULTI, closeTransaction } from "./multi.js";
import { Output } from "./output.js";
import { RequestReader } from "./requests.js";
import { ErrorReply, QUEUED, errorText, type Protocol, type Reply } from "./resp.js";
import type { Keyspace } from "./store/keyspace.js";
import type { Store } from "../runtime-sim/index.js";
import type { AsyncStore } from "../runtime-sim/host.js";

/** Requests waiting behind an async one (or a full socket) before the socket stops being read. */
const MAX_QUEUE = 1024;
const CLOSE_GRACE_MS = 1000;

const NOAUTH_REPLY = new ErrorReply(NOAUTH);
const WASM_DISABLED = new ErrorReply("ERR WASM functions are disabled on this server; set [wasm] enabled = true to use WASM.* commands");

let nextId = 1;

export class Connection implements Client {
  readonly id = nextId++;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  proto: Protocol = 2;
  authenticated: boolean;
  user = "default";
  acl: AclUser;
  name: string | null = null;
  libName: string | null = null;
  libVer: string | null = null;
  commands = 0;
  db: number;
  readonly tx = new ClientTransaction();
  monitor = false;
  lastCommand = "NULL";
  lastActive = this.createdAt;

  readonly #socket: net.Socket;
  readonly #reader: RequestReader;
  readonly #out: Output;
  /** Requests waiting their turn; #head is the next one (no Array.shift on long queues). */
  #queue: Buffer[][] = [];
  #head = 0;
  #busy = false;
  #closing = false;
  #quit = false;
  #paused = false;
  #waitingLock = false;
  #current: Buffer[] = [];

  constructor(
    socket: net.Socket,
    readonly server: ServerContext,
    onClose: (c: Connection) => void,
  ) {
    this.#socket = socket;
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    this.laddr = `${socket.localAddress}:${socket.localPort}`;
    this.fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    this.#out = new Output(socket, () => server.settings.outputLimit, (pending, overflowed) => this.#overLimit(pending, overflowed));
    this.authenticated = !server.auth.required;
    this.acl = server.auth.default;
    this.db = server.store?.baseDb ?? 0;
    const self = this;
    this.#reader = new RequestReader({
      request: (reply) => this.#onRequest(reply),
      protocolError: (text) => this.#protocolError(text),
      queryLimit: (bytes, limit) => {
        server.stats.queryLimitDisconnections++;
        server.log("warn", `Closing client that reached max query buffer length: ${this.#describe()} (${bytes} bytes of one request; client_query_buffer_limit is ${limit})`);
      },
      get closing() {
        return self.#closing;
      },
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("drain", () => {
      try {
        if (this.#out.drained()) this.#pump();
      } catch (e) {
        this.#crashed(e);
      }
    });
    socket.on("error", () => {}); // resets and broken pipes end in "close"
    socket.on("close", () => {
      this.#closing = true;
      this.#queue = [];
      this.#head = 0;
      this.#reader.reset();
      this.#out.discard();
      if (this.monitor) server.monitors.delete(this);
      closeTransaction(this);
      onClose(this);
    });
  }

  get keyspace(): Keyspace {
    return this.server.databases.keyspace(this.db);
  }

  get store(): Store | AsyncStore {
    return this.server.databases.store(this.db);
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
    this.#out.flush();
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  buffers(): ClientBuffers {
    let argv = 0;
    for (const a of this.#current) argv += a.length;
    const omem = this.#socket.writableLength;
    return {
      qbuf: this.#reader.held,
      qbufFree: Math.max(0, this.#reader.lastRead - this.#reader.held),
      argvMem: argv,
      obl: this.#out.length,
      oll: omem > 0 ? 1 : 0,
      omem,
      reading: !this.#paused && !this.#closing,
      writing: omem > 0,
    };
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    try {
      const s = this.server;
      this.#reader.read(chunk, { authenticated: this.authenticated, maxBulkLen: s.settings.maxBulkLen, queryLimit: s.settings.queryLimit });
      this.#out.flush();
      this.#flow();
    } catch (e) {
      this.#crashed(e);
    }
  }

  /** A bug on this connection's path: it is closed and logged, the server goes on. */
  #crashed(e: unknown): void {
    try {
      this.server.log("error", `closing client ${this.#describe()} after an internal error: ${(e as Error)?.stack ?? e}; please report it`);
    } catch {
      // a failing logger must not take the server down either
    }
    this.#closing = true;
    this.#socket.destroy();
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
    if (this.#busy || this.#out.blocked || this.#head < this.#queue.length || this.server.exclusive.blocks(this)) {
      this.#queue.push(reply as Buffer[]);
      if (this.#queue.length - this.#head >= MAX_QUEUE) this.#flow();
      if (!this.#busy && !this.#out.blocked) this.#pump();
      return;
    }
    this.#execute(reply as Buffer[]);
  }

  #execute(args: Buffer[]): void {
    const reply = this.#dispatch(args);
    if (reply instanceof Promise) {
      this.#busy = true;
      this.server.exclusive.started(this);
      reply.then(
        (r) => this.#settled(r),
        (e) => this.#settled(new ErrorReply(errorText(e))),
      );
    } else {
      this.#write(reply);
    }
  }

  /** Checks and queues (MULTI) or runs one request, as Redis's processCommand. */
  #dispatch(args: Buffer[]): Reply | Promise<Reply> {
    const server = this.server;
    server.stats.commandsProcessed++;
    this.commands++;
    this.lastActive = Date.now();
    this.#current = args;
    const spec = resolveCommand(server, args[0]);
    const tx = this.tx;
    if (spec === undefined) return this.#reject(unknownCommand(args));
    if (!this.authenticated && !FLAGS.noauth.has(spec.name)) return this.#reject(NOAUTH_REPLY);
    const n = args.length;
    if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity || (spec.maxArgs !== undefined && n > spec.maxArgs)) {
      return this.#reject(`ERR wrong number of arguments for '${spec.name}' command`);
    }
    if (!server.config.wasm.enabled && FLAGS.wasm.has(spec.name)) return this.#reject(WASM_DISABLED);
    // As Redis: a command the user may not run is refused before MULTI queues it (EXECABORT).
    if (!this.acl.unrestricted) {
      const refused = refusal(this.acl, spec, args);
      if (refused !== null) return this.#reject(refused);
    }
    if (tx.queue !== null && !IMMEDIATE_IN_MULTI.has(spec.name)) {
      tx.queued(args);
      return QUEUED;
    }
    this.lastCommand = spec.subcommands && n > 1 ? `${spec.name}|${args[1].toString("latin1").toLowerCase()}` : spec.name;
    return this.#run(spec, args);
  }

  /** A refusal before the command runs; inside MULTI it also dooms the EXEC (EXECABORT). */
  #reject(error: string | ErrorReply): ErrorReply {
    if (this.tx.queue !== null) this.tx.failed = true;
    return typeof error === "string" ? new ErrorReply(error) : error;
  }

  run(args: Buffer[]): Reply | Promise<Reply> {
    this.server.stats.commandsProcessed++;
    const spec = resolveCommand(this.server, args[0]);
    if (spec === undefined) return new ErrorReply(unknownCommand(args));
    // Checked again at EXEC, as Redis: the user's rules may have changed since it was queued.
    if (!this.acl.unrestricted) {
      const refused = refusal(this.acl, spec, args);
      if (refused !== null) return refused;
    }
    return this.#run(spec, args);
  }

  #run(spec: CommandSpec, args: Buffer[]): Reply | Promise<Reply> {
    const server = this.server;
    let reply: Reply | Promise<Reply>;
    try {
      // Triggers run before the write; a refusal means the command never runs.
      const refused = FLAGS.write.has(spec.name) ? this.#triggers(spec.name, args) : null;
      if (refused === null) reply = this.#call(spec, args);
      else if (typeof refused === "string") reply = new ErrorReply(refused);
      else reply = refused.then((r) => (r === null ? this.#call(spec, args) : new ErrorReply(r)));
    } catch (e) {
      reply = new ErrorReply(errorText(e));
    }
    if (server.monitors.size > 0 && !spec.flags.includes("admin")) {
      // MONITOR shows a command once it ran; an EXEC that waits shows after the commands it ran.
      if (reply instanceof Promise && spec.name === "exec") void reply.finally(() => this.showToMonitors(args)).catch(() => {});
      else this.showToMonitors(args);
    }
    return reply;
  }

  /** The handler, or with a Redis store the store itself for `native` commands. */
  #call(spec: CommandSpec, args: Buffer[]): Reply | Promise<Reply> {
    const link = this.server.store;
    return spec.native === true && link !== null ? link.send(this.db, this.proto, args, spec) : spec.handler(this, args);
  }

  #triggers(name: string, args: Buffer[]): string | null | Promise<string | null> {
    const s = this.server;
    if (!s.triggers.wouldFire(name)) return null;
    const link = s.store;
    const db = this.db;
    const reader = link === null ? this.keyspace : { get: (key: Uint8Array) => link.get(db, key) };
    return s.triggers.check(name, args, this, reader, db === s.databases.home ? undefined : this.store);
  }

  showToMonitors(args: readonly Buffer[]): void {
    const line = monitorLine(args[0].toString("latin1").toLowerCase(), this.db, this.addr, args);
    for (const m of this.server.monitors) m.feed(line);
  }

  feed(line: string): void {
    if (!this.#closing) this.#out.line(line);
  }

  #write(reply: Reply): void {
    if (this.#closing && !this.#quit) return;
    if (!this.#out.write(reply, this.proto)) return;
    if (this.#quit && !this.#closing) {
      this.#closing = true;
      this.#queue = [];
      this.#head = 0;
      this.#out.flush();
      this.#socket.end();
    }
  }

  /** client_output_buffer_limit passed: the client is closed at once, its replies dropped. */
  #overLimit(pending: number, overflowed: boolean): void {
    const { hard, soft, softSeconds } = this.server.settings.outputLimit;
    this.server.stats.outputLimitDisconnections++;
    try {
      this.server.log(
        "warn",
        `Client ${this.#describe()} scheduled to be closed ASAP for overcoming of output buffer limits ` +
          `(${pending} bytes of replies waiting${overflowed ? " plus a reply that did not fit" : ""}; ` +
          `client_output_buffer_limit is "${hard} ${soft} ${softSeconds}"; raise [server] client_output_buffer_limit or CONFIG SET client-output-buffer-limit if it must take more)`,
      );
    } catch {
      // the client is closed all the same
    }
    this.#closing = true;
    this.#queue = [];
    this.#head = 0;
    this.#socket.destroy();
  }

  #describe(): string {
    return `id=${this.id} addr=${this.addr} laddr=${this.laddr} name=${this.name ?? ""} db=${this.db} user=${this.user} cmd=${this.lastCommand}`;
  }

  #settled(reply: Reply): void {
    this.#busy = false;
    this.server.exclusive.settled(this);
    if (this.#socket.destroyed || this.#socket.writableEnded) return;
    try {
      this.#write(reply);
      this.#pump();
    } catch (e) {
      this.#crashed(e);
    }
  }

  /** Runs queued requests while nothing holds them back, then sends the replies. */
  #pump(): void {
    while (this.#head < this.#queue.length && !this.#closing && !this.#busy && !this.#out.blocked) {
      if (this.server.exclusive.blocks(this)) {
        this.#awaitLock();
        break;
      }
      const args = this.#queue[this.#head++];
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      this.#execute(args);
    }
    this.#out.flush();
    this.#flow();
  }

  #awaitLock(): void {
    if (this.#waitingLock) return;
    this.#waitingLock = true;
    void this.server.exclusive.released.then(() => {
      this.#waitingLock = false;
      this.#pump();
    });
  }

  /** Stops reading while the client does not read its replies or too many requests wait. */
  #flow(): void {
    const stop = this.#out.blocked || this.#queue.length - this.#head >= MAX_QUEUE;
    if (stop && !this.#paused) this.#socket.pause();
    else if (!stop && this.#paused) this.#socket.resume();
    this.#paused = stop;
  }

  #protocolError(text: string): void {
    if (this.#closing) return;
    this.server.stats.protocolErrors++;
    this.#out.error(text);
    this.#closing = true;
    this.#queue = [];
    this.#head = 0;
    this.#out.flush();
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
