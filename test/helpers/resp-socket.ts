// A raw TCP client for protocol tests: send exact bytes, read whatever comes back.
import net from "node:net";

export interface RawClient {
  socket: net.Socket;
  send(data: string | Uint8Array): void;
  /** Sends and resolves once the bytes are handed to the OS (a write of their own, not merged with the next). */
  flush(data: string | Uint8Array): Promise<void>;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /**
   * Waits until the received text satisfies `test`. With `timeoutMs`, rejects after it with what
   * arrived; without, only the test's own timeout bounds the wait (no bound a busy machine can hit).
   */
  until(test: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  close(): void;
}

export function rawConnect(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let buf = "";
    const waiters = new Set<() => void>();
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      for (const w of waiters) w();
    });
    socket.on("error", () => {});
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("connect", () =>
      resolve({
        socket,
        send: (data) => void socket.write(data),
        flush: (data) => new Promise<void>((res, rej) => socket.write(data, (e) => (e ? rej(e) : res()))),
        received: () => buf,
        until(test, timeoutMs) {
          return new Promise((res, rej) => {
            const check = () => {
              if (test(buf)) {
                waiters.delete(check);
                if (timer) clearTimeout(timer);
                res(buf);
              }
            };
            const timer =
              timeoutMs === undefined
                ? null
                : setTimeout(() => {
                    waiters.delete(check);
                    rej(new Error(`timed out; received so far: ${JSON.stringify(buf.slice(0, 500))}`));
                  }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        closed,
        close: () => socket.destroy(),
      }),
    );
    socket.once("error", reject);
  });
}
