// Bytes in, requests out: redis-parser for RESP arrays, splitArgs for inline lines, and the limits a
// half-received request must stay within (argument count, argument size, client_query_buffer_limit;
// smaller before AUTH). A bad frame or a passed limit is reported as the protocol error to send;
// the connection then closes.
import RedisParser from "redis-parser";
import { splitArgs } from "./inline.js";

const STAR = 0x2a;
const EMPTY = Buffer.alloc(0);
/** Largest inline command line (Redis: PROTO_INLINE_MAX_SIZE). */
const MAX_INLINE = 64 * 1024;
/** Most arguments in one request (Redis: 1024*1024). */
const MAX_ARGS = 1024 * 1024;
/** Before AUTH, requests are small: a stranger cannot make the server buffer megabytes. */
const UNAUTH_BYTES = 64 * 1024;
const UNAUTH_ARGS = 10;

export interface RequestSink {
  /** A complete request (anything redis-parser produced; the connection checks its shape). */
  request(reply: unknown): void;
  protocolError(text: string): void;
  /** The request passed client_query_buffer_limit (logged and counted by the connection). */
  queryLimit(bytes: number, limit: number): void;
  /** True once the connection is closing: stop producing requests. */
  readonly closing: boolean;
}

export interface RequestLimits {
  authenticated: boolean;
  maxBulkLen: number;
  queryLimit: number;
}

export class RequestReader {
  readonly #parser: RedisParser;
  /** Bytes received since the last complete request: what a half-sent request holds. */
  #frameBytes = 0;
  /** Offset just past the last complete request in the buffer being parsed. */
  #frameEnd = 0;
  #fatalAt = -1;
  #inline: Buffer | null = null;
  /** Size of the last chunk read. */
  lastRead = 0;

  constructor(readonly sink: RequestSink) {
    this.#parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply) => {
        const p = this.#parser;
        this.#frameEnd = p.offset;
        this.#frameBytes = p.buffer === null ? 0 : p.buffer.length - p.offset;
        sink.request(reply);
      },
      returnError: () => sink.protocolError("ERR Protocol error: expected '*', got '-'"),
      returnFatalError: (e) => (this.#fatalAt = (e.offset ?? 0) - 1),
    });
  }

  /** Bytes of a half-received request (CLIENT LIST qbuf). */
  get held(): number {
    return this.#frameBytes + (this.#inline?.length ?? 0);
  }

  /** One chunk from the socket: every complete request in it goes to the sink, then the limits are checked. */
  read(chunk: Buffer, limits: RequestLimits): void {
    this.lastRead = chunk.length;
    this.#frameBytes += chunk.length;
    this.#feed(chunk);
    if (!this.sink.closing) this.#checkLimits(limits);
  }

  reset(): void {
    this.#parser.reset();
    this.#inline = null;
  }

  #feed(chunk: Buffer): void {
    const sink = this.sink;
    let data = chunk;
    if (this.#inline !== null) {
      data = Buffer.concat([this.#inline, data]);
      this.#inline = null;
    }
    while (data.length > 0 && !sink.closing) {
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
        sink.protocolError(`ERR Protocol error: invalid request (${(e as Error).message})`);
        return;
      }
      if (this.#fatalAt < 0 || sink.closing) return;
      // A byte that starts no RESP type, right after a complete request: the rest is inline.
      if (!idle || this.#fatalAt !== this.#frameEnd) {
        sink.protocolError(`ERR Protocol error: expected '$', got '${printable(data[this.#fatalAt])}'`);
        return;
      }
      this.#parser.reset();
      data = data.subarray(this.#fatalAt);
    }
  }

  /** Runs complete inline lines; returns what follows them (a RESP request) or nothing. */
  #inlineLines(data: Buffer): Buffer {
    const sink = this.sink;
    let start = 0;
    while (start < data.length && data[start] !== STAR && !sink.closing) {
      const nl = data.indexOf(10, start);
      if (nl < 0) {
        if (data.length - start > MAX_INLINE) sink.protocolError("ERR Protocol error: too big inline request");
        else this.#inline = Buffer.from(data.subarray(start)); // a copy: the chunk is not ours to keep
        return EMPTY;
      }
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      const args = splitArgs(data.toString("latin1", start, end));
      start = nl + 1;
      this.#frameBytes = data.length - start;
      if (args === null) sink.protocolError("ERR Protocol error: unbalanced quotes in request");
      else if (args.length > 0) sink.request(args);
    }
    return sink.closing ? EMPTY : data.subarray(start);
  }

  /** What a half-received request may hold, checked after every read. */
  #checkLimits({ authenticated, maxBulkLen, queryLimit }: RequestLimits): void {
    const p = this.#parser;
    const sink = this.sink;
    const maxBulk = authenticated ? maxBulkLen : UNAUTH_BYTES;
    const maxArgs = authenticated ? MAX_ARGS : UNAUTH_ARGS;
    if (p.arrayCache.length > 1) return sink.protocolError("ERR Protocol error: expected '$', got '*'");
    if (p.arrayCache.length === 1 && p.arrayCache[0].length > maxArgs) {
      return sink.protocolError(authenticated ? "ERR Protocol error: invalid multibulk length" : "ERR Protocol error: unauthenticated multibulk length");
    }
    if (p.bigStrSize > 0 && p.bigStrSize - p.bufferCache[0].length > maxBulk) return sink.protocolError(bulkTooBig(authenticated, maxBulk));
    if (!authenticated) {
      if (this.#frameBytes > 2 * UNAUTH_BYTES) sink.protocolError(bulkTooBig(false, UNAUTH_BYTES));
      return;
    }
    if (this.#frameBytes > queryLimit) {
      sink.queryLimit(this.#frameBytes, queryLimit);
      sink.protocolError(
        `ERR Protocol error: a request larger than client_query_buffer_limit (${queryLimit} bytes); raise [server] client_query_buffer_limit or CONFIG SET client-query-buffer-limit`,
      );
    }
  }
}

function bulkTooBig(authenticated: boolean, maxBulk: number): string {
  return authenticated
    ? `ERR Protocol error: invalid bulk length (a request argument may be at most ${maxBulk} bytes; raise [server] max_bulk_len or CONFIG SET proto-max-bulk-len)`
    : "ERR Protocol error: unauthenticated bulk length";
}

function printable(byte: number | undefined): string {
  return byte !== undefined && byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${(byte ?? 0).toString(16).padStart(2, "0")}`;
}
