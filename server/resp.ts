// Replies as values handlers return, and their encoding in RESP2 or RESP3. Requests are parsed by
// redis-parser (socket.ts); this file only writes.
import { FerriteError } from "../runtime-sim/index.js";
import { FerriteReplyError } from "../runtime-sim/host.js";
import buffer from "node:buffer";

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
/** The null array (`*-1` in RESP2, `_` in RESP3): EXEC aborted by WATCH. */
export class NullArray {}
/** A reply already encoded for the client's protocol (a store's answer, passed through as bytes). */
export class RawReply {
  constructor(readonly bytes: Uint8Array) {}
}

/** null is nil; a string or bytes is a bulk string; a number or bigint an integer. */
export type Reply =
  | null
  | string
  | number
  | bigint
  | Uint8Array
  | SimpleString
  | ErrorReply
  | MapReply
  | SetReply
  | NullArray
  | RawReply
  | readonly Reply[];

export type Protocol = 2 | 3;

export const OK = new SimpleString("OK");
export const QUEUED = new SimpleString("QUEUED");
export const NULL_ARRAY = new NullArray();
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
/** Never more than this in one writer, whatever the limit says: past it Buffer allocation throws. */
export const MAX_REPLY_BYTES = Math.min(buffer.constants.MAX_LENGTH, 2 ** 31);

/** Thrown inside the writer when a reply would pass its limit; never leaves `write`. */
class Overflow {}
const OVERFLOW = new Overflow();

/**
 * Collects replies until the connection hands them to the socket. It never grows past `limit`:
 * a reply that would is dropped whole and `overflowed` is set, so the connection can close the
 * client (client_output_buffer_limit) instead of the process dying in a huge allocation.
 */
export class ReplyWriter {
  #buf = Buffer.allocUnsafe(16 * 1024);
  #len = 0;
  /** Most bytes this writer may hold. */
  limit = MAX_REPLY_BYTES;
  /** Set when a reply did not fit under `limit`; that reply was not written. */
  overflowed = false;

  get length(): number {
    return this.#len;
  }

  #ensure(n: number): void {
    const need = this.#len + n;
    if (need > this.limit) throw OVERFLOW;
    if (need <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(Math.max(this.#buf.length * 2, need), this.limit));
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

  /** Drops everything not yet taken (a client being closed). */
  discard(): void {
    this.#len = 0;
    if (this.#buf.length > 16 * 1024) this.#buf = Buffer.allocUnsafe(16 * 1024);
  }

  #line(prefix: string, n: number | bigint | string): void {
    const s = prefix + n;
    this.#ensure(s.length + 2);
    this.#len += this.#buf.write(s, this.#len, "latin1");
    this.#buf.writeUInt16LE(CRLF, this.#len);
    this.#len += 2;
  }

  #bulk(bytes: Uint8Array): void {
    this.#line("$", bytes.byteLength);
    this.#ensure(bytes.byteLength + 2);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.byteLength;
    this.#buf.writeUInt16LE(CRLF, this.#len);
    this.#len += 2;
  }

  #bulkString(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.#line("$", n);
    this.#ensure(n + 2);
    this.#len += this.#buf.write(s, this.#len, "utf8");
    this.#buf.writeUInt16LE(CRLF, this.#len);
    this.#len += 2;
  }

  #raw(bytes: Uint8Array): void {
    this.#ensure(bytes.byteLength);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.byteLength;
  }

  #nil(proto: Protocol, array: boolean): void {
    this.#ensure(5);
    this.#len += this.#buf.write(proto === 3 ? "_\r\n" : array ? "*-1\r\n" : "$-1\r\n", this.#len, "latin1");
  }

  /** A status line, e.g. a MONITOR line. False when it did not fit under the limit. */
  simple(text: string): boolean {
    return this.write(new SimpleString(text), 2);
  }

  /** An error line. Always fits: protocol errors are written while closing, past any limit. */
  error(text: string): void {
    const limit = this.limit;
    this.limit = MAX_REPLY_BYTES;
    this.write(new ErrorReply(text), 2);
    this.limit = limit;
  }

  /**
   * Appends one reply. Returns false, writing nothing of it, when it would pass `limit` (or a
   * handler returned something that is not a reply, which is written as an internal error).
   */
  write(reply: Reply, proto: Protocol): boolean {
    const start = this.#len;
    try {
      this.#write(reply, proto);
      return true;
    } catch (e) {
      this.#len = start;
      if (e === OVERFLOW) {
        this.overflowed = true;
        return false;
      }
      this.#write(new ErrorReply(`ERR internal error: ${e instanceof Error ? e.message : String(e)}; please report it`), proto);
      return true;
    }
  }

  #write(reply: Reply, proto: Protocol): void {
    if (reply === null) this.#nil(proto, false);
    else if (typeof reply === "string") this.#bulkString(reply);
    else if (typeof reply === "number" || typeof reply === "bigint") this.#line(":", typeof reply === "number" ? Math.trunc(reply) : reply);
    else if (reply instanceof Uint8Array) this.#bulk(reply);
    else if (reply instanceof SimpleString) this.#line("+", clean(reply.text));
    else if (reply instanceof ErrorReply) this.#line("-", clean(reply.text));
    else if (reply instanceof RawReply) this.#raw(reply.bytes);
    else if (reply instanceof NullArray) this.#nil(proto, true);
    else if (reply instanceof MapReply) {
      this.#line(proto === 3 ? "%" : "*", proto === 3 ? reply.entries.length : reply.entries.length * 2);
      for (const [k, v] of reply.entries) {
        this.#write(k, proto);
        this.#write(v, proto);
      }
    } else if (reply instanceof SetReply) {
      this.#line(proto === 3 ? "~" : "*", reply.items.length);
      for (const item of reply.items) this.#write(item, proto);
    } else if (Array.isArray(reply)) {
      this.#line("*", reply.length);
      for (const item of reply) this.#write(item, proto);
    } else {
      throw new Error(`a command produced an unknown reply value (${typeof reply})`);
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
