// A real redis-server on a free port, for the `store = "redis://..."` tests and the benchmark.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import { redisCli } from "./server.js";

export const HAVE_REDIS = spawnSync("redis-server", ["--version"]).status === 0;

export interface RedisProcess {
  port: number;
  /** The redis-server process id (to kill -9 it in failure tests). */
  pid: number;
  url: string;
  cli(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port` (default: a free one); `args` override the defaults (e.g. --appendonly yes). */
export async function startRedis(port?: number, args: string[] = []): Promise<RedisProcess> {
  port ??= await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // redis-server says when it listens; no deadline: a cold start on a busy machine may take seconds.
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d;
      if (/Ready to accept connections/.test(log)) {
        child.stdout!.off("data", onData);
        child.stdout!.resume(); // keep draining its log so it never blocks on a full pipe
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => (log += d));
    void exited.then(() => reject(new Error(`redis-server did not start on port ${port}: ${log.slice(-1000)}`)));
  });
  return {
    port,
    pid: child.pid!,
    url: `redis://127.0.0.1:${port}`,
    cli: (args) => redisCli(port, args),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
