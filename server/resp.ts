// Replies as values handlers return, and their encoding in RESP2 or RESP3. Requests are parsed by
// redis-parser (socket.ts); this file only writes.
import { FerriteError } from "../runtime-sim/index.js";
import { FerriteReplyError } from "../runtime-sim/host.js";

/** A status line such as +OK. */
export class SimpleString {
  constructor(readonly text: string) {}
}
/** An error line; `text` starts with its code ("ERR ...", "WRONGPASS ..."). */
export class ErrorReply {
  constructor(readonly text: string) {}
}
/** A map in RESP3 (`%`), a flat key/value array in RESP2. */
export class MapReply {
  constructor(readonly entries: ReadonlyArray<readonly [Reply, Reply]>) {}
}
/** A set of strings in RESP3 (`~`), an array in RESP2. */
export class SetReply {
  constructor(readonly items: readonly Reply[]) {}
}

/** null is nil; a string or bytes is a bulk string; a number or bigint an integer. */
export type Reply = null | string | number | bigint | Uint8Array | SimpleString | ErrorReply | MapReply | SetReply | readonly Reply[];

export type Protocol = 2 | 3;

export const OK = new SimpleString("OK");
export const err = (text: string): ErrorReply => new ErrorReply(text);

/**
 * A command handler failed with a Redis-compatible error line ("ERR syntax error", "WRONGPASS ...");
 * thrown, then written as is. Failures of ferrite-wasm's own kinds are FerriteErrors with their code.
 */
export class CommandError extends FerriteReplyError {
  constructor(reply: string) {
    super(reply);
    this.name = `CommandError [${this.code}]`;
  }
}

const CRLF = 0x0a0d; // "\r\n" little-endian, for writeUInt16LE
const SMALL = 4096;

/** Collects the replies to one batch of requests so that they leave in one socket write. */
export class ReplyWriter {
  #buf = Buffer.allocUnsafe(16 * 1024);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** The bytes written so far, handed over; the writer starts empty. */
  take(): Buffer {
    const len = this.#len;
    this.#len = 0;
    if (len < SMALL) {
      // Small batches are copied into Node's pooled slab; the big buffer is kept.
      const out = Buffer.allocUnsafe(len);
      this.#buf.copy(out, 0, 0, len);
      return out;
    }
    const out = this.#buf.subarray(0, len);
    this.#buf = Buffer.allocUnsafe(16 * 1024);
    return out;
  }

  #line(prefix: string, n: number | bigint | string): void {
    const s = prefix + n;
    this.#ensure(s.length + 2);
    this.#len += this.#buf.write(s, this.#len, "latin1");
    this.#buf.writeUInt16LE(CRLF, this.#len);
    this.#len += 2;
  }

  bulk(bytes: Uint8Array): void {
    this.#line("$", bytes.byteLength);
    this.#ensure(bytes.byteLength + 2);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.byteLength;
    this.#buf.writeUInt16LE(CRLF, this.#len);
    this.#len += 2;
  }

  bulkString(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.#line("$", n);
    this.#ensure(n + 2);
    this.#len += this.#buf.write(s, this.#len, "utf8");
    this.#buf.writeUInt16LE(CRLF, this.#len);
    this.#len += 2;
  }

  nil(proto: Protocol): void {
    this.#ensure(5);
    this.#len += this.#buf.write(proto === 3 ? "_\r\n" : "$-1\r\n", this.#len, "latin1");
  }

  simple(text: string): void {
    this.#line("+", clean(text));
  }

  error(text: string): void {
    this.#line("-", clean(text));
  }

  integer(n: number | bigint): void {
    this.#line(":", typeof n === "number" ? Math.trunc(n) : n);
  }

  write(reply: Reply, proto: Protocol): void {
    if (reply === null) this.nil(proto);
    else if (typeof reply === "string") this.bulkString(reply);
    else if (typeof reply === "number" || typeof reply === "bigint") this.integer(reply);
    else if (reply instanceof Uint8Array) this.bulk(reply);
    else if (reply instanceof SimpleString) this.simple(reply.text);
    else if (reply instanceof ErrorReply) this.error(reply.text);
    else if (reply instanceof MapReply) {
      this.#line(proto === 3 ? "%" : "*", proto === 3 ? reply.entries.length : reply.entries.length * 2);
      for (const [k, v] of reply.entries) {
        this.write(k, proto);
        this.write(v, proto);
      }
    } else if (reply instanceof SetReply) {
      this.#line(proto === 3 ? "~" : "*", reply.items.length);
      for (const item of reply.items) this.write(item, proto);
    } else {
      this.#line("*", reply.length);
      for (const item of reply) this.write(item, proto);
    }
  }
}

/** A status or error line must not contain CR or LF, or it would break the protocol. */
function clean(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, " ") : text;
}

/** Turns anything a handler threw into an error line. Unexpected errors are named as such. */
export function errorText(e: unknown): string {
  if (e instanceof FerriteError) return e.reply;
  return `ERR internal error: ${e instanceof Error ? e.message : String(e)}; please report it`;
}
