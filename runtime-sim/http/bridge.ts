// ferrite_http for the server: the host call is synchronous, Node's fetch is not. A worker thread
// runs fetch (http-worker.ts); the main thread posts the request and blocks in Atomics.wait until
// the worker answers or the call's remaining time runs out. Only the allow-listed hosts get here
// (runtime-sim/http.ts checks first). Redirects are handed back to the function, not followed, so
// a redirect cannot lead outside the allow-list.
import { BridgeError, WorkerBridge } from "../worker-bridge.js";
import type { HttpContext, HttpHandler, HttpRequest, HttpResponse } from "../options.js";
import { HTTP_WORKER_SOURCE } from "./worker.js";

/** Longest a request may take when the call itself has no tighter limit. */
export const HTTP_MAX_MS = 30_000;
/** Largest response body handed to a function. */
export const HTTP_MAX_BODY = 8 * 1024 * 1024;

export class HttpBridge {
  readonly #bridge = new WorkerBridge(HTTP_WORKER_SOURCE, { maxBodyBytes: HTTP_MAX_BODY }, "the http bridge");

  /** The HttpHandler the runtime calls. */
  readonly handler: HttpHandler = (request: HttpRequest, context?: HttpContext): HttpResponse => {
    const timeoutMs = Math.max(1, Math.floor(Math.min(context?.remainingMs ?? HTTP_MAX_MS, HTTP_MAX_MS)));
    try {
      return this.#bridge.request({ ...request, timeoutMs }, timeoutMs) as HttpResponse;
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      if (/^no answer within/.test(e.message)) return failed(`no answer from ${host(request.url)} within ${timeoutMs} ms (the call's remaining time)`);
      if (/ is down: /.test(e.message)) return failed(e.message);
      return failed(`request to ${host(request.url)} failed: ${e.message}`);
    }
  };

  close(): Promise<void> {
    return this.#bridge.close();
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
