// ferrite_http for the server: the host call is synchronous, Node's fetch is not. A worker thread
// runs fetch (http-worker.ts); the main thread posts the request and blocks in Atomics.wait until
// the worker answers or the call's remaining time runs out. Only the allow-listed hosts get here
// (runtime-sim/http.ts checks first). Redirects are handed back to the function, not followed, so
// a redirect cannot lead outside the allow-list.
import { performance } from "node:perf_hooks";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { HttpContext, HttpHandler, HttpRequest, HttpResponse } from "../options.js";
import { HTTP_WORKER_SOURCE } from "./http-worker.js";

/** Longest a request may take when the call itself has no tighter limit. */
export const HTTP_MAX_MS = 30_000;
/** Largest response body handed to a function. */
export const HTTP_MAX_BODY = 8 * 1024 * 1024;

export class HttpBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #control: Int32Array;
  #seq = 0;
  #dead: string | null = null;

  constructor() {
    const control = new SharedArrayBuffer(4);
    this.#control = new Int32Array(control);
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(HTTP_WORKER_SOURCE, { eval: true, workerData: { port: port2, control, maxBodyBytes: HTTP_MAX_BODY }, transferList: [port2] });
    this.#worker.unref();
    this.#worker.on("error", (e) => (this.#dead = `its worker failed: ${e.message}`));
    this.#worker.on("exit", () => (this.#dead ??= "it was closed"));
  }

  /** The HttpHandler the runtime calls. */
  readonly handler: HttpHandler = (request: HttpRequest, context?: HttpContext): HttpResponse => {
    if (this.#dead) return failed(`the http bridge is down: ${this.#dead}`);
    const timeoutMs = Math.max(1, Math.floor(Math.min(context?.remainingMs ?? HTTP_MAX_MS, HTTP_MAX_MS)));
    const seq = ++this.#seq;
    this.#port.postMessage({ ...request, seq, timeoutMs });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.#control, 0);
      if (done >= seq) break;
      const left = deadline - performance.now();
      if (left <= 0) return failed(`no answer from ${host(request.url)} within ${timeoutMs} ms (the call's remaining time)`);
      Atomics.wait(this.#control, 0, done, left);
    }
    for (let m = receiveMessageOnPort(this.#port); m !== undefined; m = receiveMessageOnPort(this.#port)) {
      const a = m.message as { seq: number; value?: HttpResponse; error?: string };
      if (a.seq !== seq) continue; // a late answer to an abandoned request
      return a.error !== undefined ? failed(`request to ${host(request.url)} failed: ${a.error}`) : a.value!;
    }
    return failed("the http worker signalled an answer that never arrived");
  };

  async close(): Promise<void> {
    this.#dead ??= "it was closed";
    await this.#worker.terminate();
    this.#port.close();
  }
}

function failed(error: string): HttpResponse {
  return { status: 0, headers: {}, body: "", error };
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
