// ferrite_http's gate: only allow-listed hosts reach the handler; everything else is answered
// with status 0 and an error the function can read.
import type { AsyncHttpHandler, HttpHandler, HttpRequest, HttpResponse } from "../options.js";

export interface HttpGate {
  /** Answers at once (a blocking handler, or a refusal). */
  (fn: string, request: HttpRequest, remainingMs?: number): HttpResponse;
  /** Whether a request would reach a handler (allowed host, valid URL). */
  allowed(request: HttpRequest): boolean;
  /** Answers without blocking, when an async handler is configured. */
  async?: (fn: string, request: HttpRequest, remainingMs: number) => Promise<HttpResponse>;
}

export function httpGate(handler: HttpHandler | undefined, allowedHosts: readonly string[], asyncHandler?: AsyncHttpHandler): HttpGate {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const refusal = (request: HttpRequest): string | null => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return `invalid url '${request.url}'`;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return `unsupported scheme '${url.protocol}'; use http or https`;
    if (!allowed.has(url.hostname.toLowerCase()) && !allowed.has(url.host.toLowerCase())) {
      return `host '${url.host}' is not in the http allow-list; add it to [wasm] http_allowed_hosts`;
    }
    return null;
  };
  const gate = ((fn: string, request: HttpRequest, remainingMs = Infinity): HttpResponse => {
    const why = refusal(request);
    if (why !== null) return refused(why);
    if (!handler) return refused(`no HTTP handler is configured for function '${fn}'`);
    try {
      return handler(request, { function: fn, remainingMs });
    } catch (e) {
      return refused((e as Error).message);
    }
  }) as HttpGate;
  gate.allowed = (request) => refusal(request) === null;
  if (asyncHandler) {
    gate.async = (fn, request, remainingMs) =>
      asyncHandler(request, { function: fn, remainingMs }).catch((e: unknown) => refused((e as Error).message));
  }
  return gate;
}

function refused(error: string): HttpResponse {
  return { status: 0, headers: {}, body: "", error };
}
