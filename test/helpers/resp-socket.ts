// A raw TCP client for protocol tests: send exact bytes, read whatever comes back.
import net from "node:net";

export interface RawClient {
  socket: net.Socket;
  send(data: string | Uint8Array): void;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** Waits until the received text satisfies `test` (or times out with what arrived). */
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
        received: () => buf,
        until(test, timeoutMs = 3000) {
          return new Promise((res, rej) => {
            const check = () => {
              if (test(buf)) {
                waiters.delete(check);
                clearTimeout(timer);
                res(buf);
              }
            };
            const timer = setTimeout(() => {
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
