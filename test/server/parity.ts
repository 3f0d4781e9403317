// Runs the same commands on a real redis-server and on ferrite-wasm over raw connections, one
// request at a time, and returns both servers' raw replies: tests compare them byte for byte, so
// "Redis's exact replies and errors" is checked against Redis itself, not against typed-in text.
import net from "node:net";
import { replyEnd } from "../../server/store/raw-connection.js";

export const encode = (args: readonly (string | Buffer)[]): Buffer =>
  Buffer.concat([
    Buffer.from(`*${args.length}\r\n`),
    ...args.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from("\r\n")]),
  ]);

/** A raw connection that sends one request and resolves with its complete raw reply. */
export class RawSession {
  #buf = Buffer.alloc(0);
  #waiting: (() => void) | null = null;
  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#waiting?.();
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<RawSession> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(new RawSession(s)));
      s.once("error", reject);
    });
  }

  /** Sends one request; resolves with its reply as latin1 text (several replies for `replies` > 1). */
  async send(args: readonly (string | Buffer)[], replies = 1): Promise<string> {
    this.socket.write(encode(args));
    return this.read(replies);
  }

  /** Reads `replies` complete replies (e.g. after a MONITOR). */
  read(replies = 1): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no complete reply; got ${JSON.stringify(this.#buf.toString("latin1"))}`)), 20_000);
      const check = () => {
        let end = 0;
        for (let i = 0; i < replies; i++) {
          end = replyEnd(this.#buf, end, { bytes: 0 });
          if (end < 0) return;
        }
        clearTimeout(timer);
        this.#waiting = null;
        const text = this.#buf.subarray(0, end).toString("latin1");
        this.#buf = this.#buf.subarray(end);
        resolve(text);
      };
      this.#waiting = check;
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Runs `script` on both servers (fresh connections) and returns [redis replies, ferrite replies]. */
export async function both(redisPort: number, ferritePort: number, script: readonly (readonly string[])[]): Promise<[string[], string[]]> {
  const run = async (port: number) => {
    const s = await RawSession.open(port);
    try {
      const out: string[] = [];
      for (const args of script) out.push(await s.send(args));
      return out;
    } finally {
      s.close();
    }
  };
  return Promise.all([run(redisPort), run(ferritePort)]);
}

/** The script with each command beside the two replies, for a readable diff when they differ. */
export function sideBySide(script: readonly (readonly string[])[], replies: string[]): string[] {
  return script.map((args, i) => `${args.join(" ")} -> ${JSON.stringify(replies[i])}`);
}
