// Synchronous requests to a Redis server, for host functions that must answer before the guest
// goes on. A worker thread owns an ioredis connection (redis-worker.ts); the main thread posts a
// request and blocks in Atomics.wait until the worker bumps control[0], then takes the answer off
// the port with receiveMessageOnPort. Calls are serialized like Redis scripts, so one request is in
// flight at a time; a timeout abandons it (control[1]) so it can never be applied late.
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { WORKER_SOURCE } from "./redis-worker.js";

export interface BridgeAnswer {
  seq: number;
  value?: unknown;
  error?: string;
  /** The error is Redis's own reply (WRONGTYPE, ...), not a connection problem. */
  reply?: boolean;
}

export class BridgeError extends Error {
  constructor(
    message: string,
    /** Redis answered with an error, as opposed to not answering. */
    readonly isReply: boolean,
  ) {
    super(message);
    this.name = "BridgeError";
  }
}

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };

export class SyncBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #control: Int32Array;
  #seq = 0;
  #dead: string | null = null;

  constructor(
    readonly url: string,
    connectTimeoutMs: number,
  ) {
    const control = new SharedArrayBuffer(8);
    this.#control = new Int32Array(control);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const ioredisPath = createRequire(import.meta.url).resolve("ioredis");
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, control, url, connectTimeoutMs, ioredisPath },
      transferList: [port2],
    });
    this.#worker.unref();
    this.#worker.on("error", (e) => (this.#dead = `its worker failed: ${e.message}`));
    this.#worker.on("exit", () => (this.#dead ??= "it was closed"));
  }

  /** Blocks until the worker answers or `timeoutMs` passes. Throws BridgeError on any failure. */
  request(message: Record<string, unknown>, timeoutMs: number): unknown {
    if (this.#dead) throw new BridgeError(`the store bridge is down: ${this.#dead}`, false);
    const seq = ++this.#seq;
    this.#port.postMessage({ ...message, seq });
    const control = this.#control;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(control, 0);
      if (done >= seq) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        Atomics.store(control, 1, seq);
        throw new BridgeError(`no answer within ${timeoutMs} ms`, false);
      }
      Atomics.wait(control, 0, done, left);
    }
    return this.#take(seq);
  }

  /** The same without blocking the event loop (start-up, shutdown). */
  async requestAsync(message: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    if (this.#dead) throw new BridgeError(`the store bridge is down: ${this.#dead}`, false);
    const seq = ++this.#seq;
    this.#port.postMessage({ ...message, seq });
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    const deadline = performance.now() + timeoutMs;
    this.#worker.ref(); // a pending waitAsync alone does not keep the process alive
    try {
      for (;;) {
        const done = Atomics.load(this.#control, 0);
        if (done >= seq) break;
        const left = deadline - performance.now();
        if (left <= 0) {
          Atomics.store(this.#control, 1, seq);
          throw new BridgeError(`no answer within ${timeoutMs} ms`, false);
        }
        const r = waitAsync(this.#control, 0, done, left);
        if (r.async) await r.value;
      }
    } finally {
      this.#worker.unref();
    }
    return this.#take(seq);
  }

  #take(seq: number): unknown {
    for (let m = receiveMessageOnPort(this.#port); m !== undefined; m = receiveMessageOnPort(this.#port)) {
      const answer = m.message as BridgeAnswer;
      if (answer.seq !== seq) continue; // a late answer to an abandoned request
      if (answer.error !== undefined) throw new BridgeError(answer.error, answer.reply === true);
      return answer.value;
    }
    throw new BridgeError("the worker signalled an answer that never arrived", false);
  }

  async close(): Promise<void> {
    if (!this.#dead) await this.requestAsync({ op: "close" }, 1000).catch(() => {});
    this.#dead ??= "it was closed";
    await this.#worker.terminate();
    this.#port.close();
  }
}
