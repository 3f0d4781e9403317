// ferrite_http for the server: the host call is synchronous, Node's fetch is not. A worker thread
// runs fetch (http-worker.ts); the main thread posts the request and blocks in Atomics.wait until
// the worker answers or the call's remaining time runs out. Only the allow-listed hosts get here
// (runtime-sim/http.ts checks first). Redirects are handed back to the function, not followed, so
// a redirect cannot lead outside the allow-list.
import { BridgeError, WorkerBridge } from "../worker-bridge.js";
import type { AsyncHttpHandler, HttpContext, HttpHandler, HttpRequest, HttpResponse } from "../options.js";
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

  /** The same without blocking the event loop: calls over an async store wait for it (callAsync). */
  readonly asyncHandler: AsyncHttpHandler = async (request: HttpRequest, context: HttpContext): Promise<HttpResponse> => {
    const timeoutMs = Math.max(1, Math.floor(Math.min(context.remainingMs, HTTP_MAX_MS)));
    // No worker needed: the event loop is free while fetch waits. Same rules as the worker's fetch.
    const init: RequestInit = { method: request.method, headers: request.headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) };
    if (request.body !== "" && request.method !== "GET" && request.method !== "HEAD") init.body = request.body;
    try {
      const res = await fetch(request.url, init);
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (res.body) {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > HTTP_MAX_BODY) {
            await res.body.cancel().catch(() => {});
            return failed(`request to ${host(request.url)} failed: the response body is larger than ${HTTP_MAX_BODY} bytes`);
          }
          chunks.push(chunk);
        }
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      return { status: res.status, headers, body: Buffer.concat(chunks).toString("utf8") };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === "TimeoutError") return failed(`no answer from ${host(request.url)} within ${timeoutMs} ms (the call's remaining time)`);
      return failed(`request to ${host(request.url)} failed: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
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
