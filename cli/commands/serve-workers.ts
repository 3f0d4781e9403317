// `ferrite-wasm serve --workers N`: N server processes on one port (node:cluster; the primary
// accepts and hands connections round-robin). Each worker is a whole, stateless server over the
// shared store: functions and triggers come from the store's registry, so any worker answers any
// client the same way. The primary only supervises: it says ready once every worker listens,
// replaces a worker that dies, and stops them all on SIGINT/SIGTERM.
import cluster, { type Worker } from "node:cluster";
import { CliError } from "../shared/errors.js";
import type { Output } from "../shared/print.js";

/** What a worker tells the primary once it listens. */
export interface WorkerReady {
  ferrite: "ready";
  url: string;
  host: string;
  port: number;
}

export const isWorker = (): boolean => cluster.isWorker;

/** In a worker: tells the primary it listens. */
export function announce(ready: Omit<WorkerReady, "ferrite">): void {
  process.send?.({ ferrite: "ready", ...ready } satisfies WorkerReady);
}

/** Refuses N > 1 over the embedded store: each process would have its own keyspace and functions. */
export function checkWorkers(workers: number, store: string): void {
  if (workers > 1 && store === "memory") {
    throw new CliError(
      "ERR_SERVER",
      `--workers ${workers} needs a shared store: with store = "memory" each process would keep its own keys and functions, so clients would see different data depending on the process that took their connection`,
      "run the workers over a Redis store: --store redis://host:port (docs/scale.md), or use --workers 1",
    );
  }
}

/**
 * Runs in the primary: forks the workers, resolves with the ready line's details once all listen,
 * then keeps them running until `stop` resolves.
 */
export async function supervise(
  workers: number,
  out: Output,
  onReady: (ready: WorkerReady, pids: number[]) => void,
  stop: Promise<unknown>,
): Promise<void> {
  const live = new Set<Worker>();
  let stopping = false;
  let first: WorkerReady | null = null;
  const starting = new Map<Worker, (r: WorkerReady) => void>();

  const fork = (): Promise<WorkerReady> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork();
      live.add(w);
      starting.set(w, resolve);
      w.on("message", (m: WorkerReady) => {
        if (m?.ferrite !== "ready") return;
        starting.get(w)?.(m);
        starting.delete(w);
      });
      w.on("exit", (code, signal) => {
        live.delete(w);
        const wasStarting = starting.delete(w);
        if (stopping) return;
        const why = signal ? `signal ${signal}` : `code ${code}`;
        if (wasStarting && first === null) {
          reject(new CliError("ERR_SERVER", `a worker process exited with ${why} while starting; its error is above`));
          return;
        }
        // A stateless worker: a replacement serves the same functions from the store.
        process.stderr.write(`${out.sym.warn} worker ${w.process.pid} exited with ${why}; starting a replacement\n`);
        void fork().catch((e) => process.stderr.write(`${(e as Error).message}\n`));
      });
    });

  try {
    const ready = await Promise.all(Array.from({ length: workers }, fork));
    first = ready[0];
    onReady(first, [...live].map((w) => w.process.pid!));
  } catch (e) {
    stopping = true;
    await stopAll(live);
    throw e;
  }
  await stop;
  stopping = true;
  await stopAll(live);
}

async function stopAll(live: Set<Worker>): Promise<void> {
  await Promise.all(
    [...live].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          w.once("exit", () => resolve());
          w.process.kill("SIGTERM");
          setTimeout(() => w.process.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
}
