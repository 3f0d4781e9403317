// Outgoing HTTP through ferrite_http (capability "http"; only hosts the server allow-lists).
// The host answers synchronously; a failure comes back as status 0 with `error` set.

import { JSON } from "json-as";
import { ferrite_http } from "./bindings";
import { blockData, blockLength, stringBlock, takeBlockString } from "./memory";
import { panic } from "./abort";
import { E_HTTP_NO_REPLY } from "./errors";

// @ts-ignore: decorator
@json
export class HttpRequest {
  method: string = "GET";
  url: string = "";
  headers: Map<string, string> = new Map<string, string>();
  body: string = "";
}

// @ts-ignore: decorator
@json
export class HttpResponse {
  /** HTTP status; 0 when the request failed (see error). */
  status: i32 = 0;
  headers: Map<string, string> = new Map<string, string>();
  body: string = "";
  /** Why the request failed; empty on success. */
  error: string = "";
}

export namespace http {
  /** Sends a JSON request text `{method,url,headers,body}`; returns the JSON response text. */
  export function send(request: string): string {
    const req = stringBlock(request);
    const reply = ferrite_http(blockData(req), blockLength(req));
    heap.free(req);
    const text = takeBlockString(reply);
    if (text === null) panic(E_HTTP_NO_REPLY);
    return changetype<string>(text);
  }

  /** Sends a request and parses the response. */
  export function fetch(request: HttpRequest): HttpResponse {
    return JSON.parse<HttpResponse>(http.send(JSON.stringify<HttpRequest>(request)));
  }
}
