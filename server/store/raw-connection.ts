// One plain RESP connection to the store whose replies are kept as raw bytes, so a client gets
// exactly what Redis answered (types, errors, RESP2 or RESP3) with no decode and re-encode. No
// client library hands out raw replies, so this is a small socket with a reply framer. Requests
// are pipelined; each waits at most timeoutMs; a closed connection is reopened by the next request.
import net from "node:net";
import tls from "node:tls";

/** One request's reply as the store sent it. */
export type RawBytes = Buffer;

interface Pending {
  resolve(reply: RawBytes): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | null;
  /** A set-up request (AUTH, HELLO, SELECT): an error reply fails the connection. */
  setup: boolean;
}

export interface RawOptions {
  url: string;
  proto: 2 | 3;
  db: number;
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** The end of the complete reply starting at `start`, or -1 (with `need.bytes`: the length to wait for). */
export function replyEnd(buf: Buffer, start: number, need: { bytes: number }): number {
  let pos = start;
  let pending = 1;
  while (pending > 0) {
    if (pos >= buf.length) return (need.bytes = pos + 1), -1;
    const nl = buf.indexOf(10, pos);
    if (nl < 0) return (need.bytes = buf.length + 1), -1;
    const type = buf[pos];
    pending--;
    const next = nl + 1;
    if (type === 0x24 || type === 0x21 || type === 0x3d) {
      // $ ! = : a length, then that many bytes and CRLF
      const n = Number(buf.toString("latin1", pos + 1, nl - 1));
      if (n < 0) pos = next;
      else {
        if (next + n + 2 > buf.length) return (need.bytes = next + n + 2), -1;
        pos = next + n + 2;
      }
    } else if (type === 0x2a || type === 0x7e || type === 0x3e || type === 0x25 || type === 0x7c) {
      // * ~ > : n values; % : n pairs; | : n pairs of attributes, then the value they describe
      const n = Number(buf.toString("latin1", pos + 1, nl - 1));
      if (n > 0) pending += type === 0x25 ? 2 * n : type === 0x7c ? 2 * n + 1 : n;
      else if (type === 0x7c) pending += 1;
      pos = next;
    } else {
      pos = next; // + - : _ # , ( : one line
    }
  }
  return pos;
}

export class RawConnection {
  #socket: net.Socket | null = null;
  /** The socket being connected or in use; events of older ones are ignored. */
  #current: net.Socket | null = null;
  #connected: Promise<void> | null = null;
  readonly #pending: Pending[] = [];
  #chunks: Buffer[] = [];
  #total = 0;
  #need = { bytes: 0 };
  #closed = false;
  /** Bumped every time the connection closes: WATCH state on the store did not survive it. */
  generation = 0;

  constructor(readonly options: RawOptions) {}

  get open(): boolean {
    return this.#socket !== null && !this.#socket.destroyed;
  }

  /** Sends one request; resolves with its raw reply (error replies included), rejects on I/O failure. */
  send(args: readonly Uint8Array[]): Promise<RawBytes> {
    return this.sendMany([args]).then((r) => r[0]);
  }

  /** Sends requests in one write; resolves with their replies in order. */
  async sendMany(requests: readonly (readonly Uint8Array[])[]): Promise<RawBytes[]> {
    if (this.#closed) throw new Error("the connection is closed");
    if (!this.open) await this.#connect();
    const socket = this.#socket!;
    const replies = requests.map(() => new Promise<RawBytes>((resolve, reject) => this.#push(resolve, reject, false)));
    socket.write(encode(requests));
    return Promise.all(replies);
  }

  #push(resolve: (r: RawBytes) => void, reject: (e: Error) => void, setup: boolean): void {
    const p: Pending = { resolve, reject, setup, timer: null };
    p.timer = setTimeout(() => this.#fail(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    p.timer.unref?.();
    this.#pending.push(p);
  }

  #connect(): Promise<void> {
    this.#connected ??= new Promise<void>((resolve, reject) => {
      const u = new URL(this.options.url);
      const port = Number(u.port || 6379);
      const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
      const socket = u.protocol === "rediss:" ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
      this.#current = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(new Error(`could not connect within ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
      socket.once(u.protocol === "rediss:" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        this.#socket = socket;
        const setup: Uint8Array[][] = [];
        const user = decodeURIComponent(u.username);
        const pass = decodeURIComponent(u.password);
        if (this.options.proto === 3) setup.push(pass ? ["HELLO", "3", "AUTH", user || "default", pass].map(b) : [b("HELLO"), b("3")]);
        else if (pass) setup.push((user ? ["AUTH", user, pass] : ["AUTH", pass]).map(b));
        if (this.options.db !== 0) setup.push([b("SELECT"), b(String(this.options.db))]);
        const done = setup.map(() => new Promise<RawBytes>((res, rej) => this.#push(res, rej, true)));
        if (setup.length > 0) socket.write(encode(setup));
        Promise.all(done).then(() => resolve(), reject);
      });
      socket.on("data", (chunk: Buffer) => {
        if (this.#socket === socket) this.#onData(chunk);
      });
      const lost = (e: Error) => {
        clearTimeout(timer);
        reject(e);
        if (this.#current === socket) this.#fail(e);
      };
      socket.on("error", lost);
      socket.on("close", () => lost(new Error("connection closed")));
    });
    const connecting = this.#connected;
    return connecting.catch((e) => {
      if (this.#connected === connecting) this.#connected = null;
      throw e;
    });
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#total += chunk.length;
    if (this.#total < this.#need.bytes) return;
    let buf = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#total);
    let start = 0;
    for (;;) {
      const end = replyEnd(buf, start, this.#need);
      if (end < 0) break;
      const p = this.#pending.shift();
      const reply = buf.subarray(start, end);
      start = end;
      if (!p) continue; // nothing asked for it (after a timeout): drop
      if (p.timer) clearTimeout(p.timer);
      if (p.setup && reply[0] === 0x2d) {
        p.reject(new Error(reply.toString("utf8", 1, reply.length - 2)));
        this.#fail(new Error(reply.toString("utf8", 1, reply.length - 2)));
        return;
      }
      p.resolve(Buffer.from(reply)); // a copy: the chunk it came in is not kept alive by the reply
    }
    buf = buf.subarray(start);
    this.#need.bytes -= start;
    this.#chunks = buf.length > 0 ? [buf] : [];
    this.#total = buf.length;
  }

  /** Fails every request in flight and drops the socket; the next request reconnects. */
  #fail(e: Error): void {
    const socket = this.#current;
    const had = socket !== null;
    this.#current = null;
    this.#socket = null;
    this.#connected = null;
    this.#chunks = [];
    this.#total = 0;
    this.#need.bytes = 0;
    if (had) this.generation++;
    for (const p of this.#pending.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(e);
    }
    socket?.destroy();
  }

  close(): void {
    this.#closed = true;
    this.#fail(new Error("the connection is closed"));
  }
}

const b = (s: string): Buffer => Buffer.from(s);

function encode(requests: readonly (readonly Uint8Array[])[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const args of requests) {
    parts.push(Buffer.from(`*${args.length}\r\n`, "latin1"));
    for (const a of args) parts.push(Buffer.from(`$${a.byteLength}\r\n`, "latin1"), a, CRLF);
  }
  return Buffer.concat(parts);
}
const CRLF = Buffer.from("\r\n");
