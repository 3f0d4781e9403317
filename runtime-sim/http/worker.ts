// The worker side of the http bridge, as plain CommonJS source run with `new Worker(src, {eval: true})`
// (it runs unchanged under tsx, vitest and the bundle).
// One fetch per message; the answer goes on the port, then control[0] is bumped to the request's
// sequence number to wake the main thread blocked in Atomics.wait.
import { WORKER_PROTOCOL } from "../worker-bridge.js";

export const HTTP_WORKER_SOURCE = String.raw`
"use strict";
const { workerData } = require("node:worker_threads");
const { maxBodyBytes } = workerData;

async function run(m) {
  const init = { method: m.method, headers: m.headers, redirect: "manual", signal: AbortSignal.timeout(m.timeoutMs) };
  if (m.body !== "" && m.method !== "GET" && m.method !== "HEAD") init.body = m.body;
  const res = await fetch(m.url, init);
  const reader = res.body ? res.body.getReader() : null;
  const chunks = [];
  let size = 0;
  for (;;) {
    if (!reader) break;
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      reader.cancel().catch(() => {});
      throw new Error("the response body is larger than " + maxBodyBytes + " bytes");
    }
    chunks.push(value);
  }
  const headers = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, body: Buffer.concat(chunks).toString("utf8") };
}

function failure(e, m) {
  const why = e && e.name === "TimeoutError" ? "no answer within " + m.timeoutMs + " ms"
    : (e && e.cause && (e.cause.code || e.cause.message)) || (e && e.message) || String(e);
  return { error: why };
}
` + WORKER_PROTOCOL;
