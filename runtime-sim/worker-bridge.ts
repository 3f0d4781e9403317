// Synchronous requests answered by a worker thread, for host functions that must answer before the
// guest goes on (Redis for the store, fetch for ferrite_http). The main thread posts a request and
// blocks in Atomics.wait until the worker bumps control[0] to its sequence number, then takes the
// answer off the port with receiveMessageOnPort. One request is in flight at a time; a timeout
// abandons it (control[1]) so the worker never runs it late.
import { performance } from "node:perf_hooks";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { FerriteError } from "./errors.js";

/** The worker side of the protocol, appended to each worker's source after its run(m) and failure(e, m). */
export const WORKER_PROTOCOL = String.raw`
const control = new Int32Array(require("node:worker_threads").workerData.control); // [0] last answered seq, [1] last abandoned seq
const bridgePort = require("node:worker_threads").workerData.port;
function answer(seq, msg) {
  msg.seq = seq;
  bridgePort.postMessage(msg);
  let cur; // only ever move forward: a late answer to an abandoned request must not step back
  while ((cur = Atomics.load(control, 0)) < seq && Atomics.compareExchange(control, 0, cur, seq) !== cur);
  Atomics.notify(control, 0);
}
bridgePort.on("message", (m) => {
  if (Atomics.load(control, 1) >= m.seq) return answer(m.seq, { error: "abandoned" }); // never run late
  run(m).then((value) => answer(m.seq, { value }), (e) => answer(m.seq, failure(e, m)));
});
`;

export interface BridgeAnswer {
  seq: number;
  value?: unknown;
  error?: string;
  /** The error is Redis's own reply (WRONGTYPE, ...), not a connection problem. */
  reply?: boolean;
}

export class BridgeError extends FerriteError<"ERR_BRIDGE"> {
  constructor(message: string, isReply: boolean) {
    super("ERR_BRIDGE", message, null, { reply: isReply });
    this.name = "BridgeError [ERR_BRIDGE]";
  }

  /** The worker's answer was an error reply (Redis's WRONGTYPE, ...), as opposed to no answer. */
  get isReply(): boolean {
    return this.data.reply;
  }
}

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<string> | string };

/** A worker thread that answers requests while the main thread waits (see WORKER_PROTOCOL). */
export class WorkerBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #control: Int32Array;
  #seq = 0;
  #dead: string | null = null;

  /** `source` is CommonJS worker code that defines run(m) and failure(e, m), then includes WORKER_PROTOCOL. */
  constructor(
    source: string,
    data: Record<string, unknown>,
    /** How failures name this bridge: "the store bridge", "the http bridge". */
    readonly label: string,
  ) {
    const control = new SharedArrayBuffer(8);
    this.#control = new Int32Array(control);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(source, { eval: true, workerData: { ...data, port: port2, control }, transferList: [port2] });
    this.#worker.unref();
    this.#worker.on("error", (e) => (this.#dead = `its worker failed: ${e.message}`));
    this.#worker.on("exit", () => (this.#dead ??= "it was closed"));
  }

  /** Blocks until the worker answers or `timeoutMs` passes. Throws BridgeError on any failure. */
  request(message: Record<string, unknown>, timeoutMs: number): unknown {
    if (this.#dead) throw new BridgeError(`${this.label} is down: ${this.#dead}`, false);
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
    if (this.#dead) throw new BridgeError(`${this.label} is down: ${this.#dead}`, false);
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

  get alive(): boolean {
    return this.#dead === null;
  }

  async close(): Promise<void> {
    this.#dead ??= "it was closed";
    await this.#worker.terminate();
    this.#port.close();
  }
}
