// One client's way out: replies are collected in a ReplyWriter and handed to the socket every
// FLUSH_AT bytes or at the end of a batch. `blocked` says the socket's buffer is full (the client
// does not read): the connection then stops running that client's commands until "drain". A reply
// that would pass client_output_buffer_limit's hard limit, or replies over its soft limit for its
// seconds, call `onOverLimit` (the connection closes the client, as Redis does).
import type net from "node:net";
import type { OutputLimit } from "./config/schema.js";
import { MAX_REPLY_BYTES, ReplyWriter, SimpleString, type Protocol, type Reply } from "./resp.js";

/** Replies are handed to the socket once this many bytes are waiting, even mid-batch. */
const FLUSH_AT = 64 * 1024;

export class Output {
  readonly #w = new ReplyWriter();
  /** The socket refused more (write() returned false) and has not drained yet. */
  blocked = false;
  #softTimer: NodeJS.Timeout | null = null;
  #flushScheduled = false;
  #over = false;

  constructor(
    readonly socket: net.Socket,
    readonly limit: () => OutputLimit,
    readonly onOverLimit: (pending: number, overflowed: boolean) => void,
  ) {}

  /** Bytes collected and not yet handed to the socket (CLIENT LIST obl). */
  get length(): number {
    return this.#w.length;
  }

  /** Bytes of replies the kernel has not taken yet. */
  get pending(): number {
    return this.#w.length + this.socket.writableLength;
  }

  /** Appends a reply; false when it passed the limit (the client is being closed). */
  write(reply: Reply, proto: Protocol): boolean {
    if (this.#over) return false;
    const hard = this.limit().hard;
    this.#w.limit = hard > 0 ? Math.max(0, hard - this.socket.writableLength) : MAX_REPLY_BYTES;
    if (!this.#w.write(reply, proto)) return this.#passed();
    if (this.#w.length >= FLUSH_AT) this.flush();
    return this.check();
  }

  /** A MONITOR line: written now, sent on the next turn of the loop with whatever follows. */
  line(text: string): void {
    if (!this.write(new SimpleString(text), 2) || this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.flush();
      this.check();
    });
  }

  /** A protocol error written while closing: past any limit. */
  error(text: string): void {
    this.#w.error(text);
  }

  flush(): void {
    if (this.#w.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    if (!this.socket.write(this.#w.take())) this.blocked = true;
  }

  drained(): boolean {
    this.blocked = false;
    return this.check();
  }

  /** The limits against what waits now; false when the client passed them. */
  check(): boolean {
    const { hard, soft, softSeconds } = this.limit();
    const pending = this.pending;
    if (hard > 0 && pending > hard) return this.#passed();
    if (soft > 0 && pending > soft) {
      if (softSeconds === 0) return this.#passed();
      this.#softTimer ??= setTimeout(() => {
        this.#softTimer = null;
        if (this.pending > this.limit().soft) this.#passed();
      }, softSeconds * 1000);
    } else if (this.#softTimer !== null) {
      clearTimeout(this.#softTimer);
      this.#softTimer = null;
    }
    return true;
  }

  #passed(): false {
    if (!this.#over) {
      this.#over = true;
      const pending = this.pending;
      this.discard();
      this.onOverLimit(pending, this.#w.overflowed);
    }
    return false;
  }

  /** Drops what was not sent (the client is gone or being closed). */
  discard(): void {
    this.#w.discard();
    if (this.#softTimer !== null) clearTimeout(this.#softTimer);
    this.#softTimer = null;
  }
}
