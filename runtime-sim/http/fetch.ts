// ferrite_http's gate: only allow-listed hosts reach the handler; everything else is answered
// with status 0 and an error the function can read.
import type { HttpHandler, HttpRequest, HttpResponse } from "../options.js";

export function httpGate(handler: HttpHandler | undefined, allowedHosts: readonly string[]) {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  return (fn: string, request: HttpRequest, remainingMs = Infinity): HttpResponse => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refused(`invalid url '${request.url}'`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return refused(`unsupported scheme '${url.protocol}'; use http or https`);
    if (!allowed.has(url.hostname.toLowerCase()) && !allowed.has(url.host.toLowerCase())) {
      return refused(`host '${url.host}' is not in the http allow-list; add it to [wasm] http_allowed_hosts`);
    }
    if (!handler) return refused(`no HTTP handler is configured for function '${fn}'`);
    try {
      return handler(request, { function: fn, remainingMs });
    } catch (e) {
      return refused((e as Error).message);
    }
  };
}

function refused(error: string): HttpResponse {
  return { status: 0, headers: {}, body: "", error };
}
