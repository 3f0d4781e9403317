// The prepare worker: a thread that checks and instruments modules (binaryen) and compiles them,
// one request at a time, and posts back the compiled modules (shared, not copied, by V8).
import { parentPort } from "node:worker_threads";
import { FerriteError } from "../errors.js";
import { checkAndInstrument } from "./instrument-module.js";
import type { PrepareReply, PrepareRequest } from "./pool.js";

const port = parentPort!;
port.on("message", async ({ id, bytes }: PrepareRequest) => {
  let reply: PrepareReply;
  try {
    const r = await checkAndInstrument(bytes);
    reply = { id, ok: true, info: r.info, report: r.report, instrumented: r.instrumented, compiled: r.compiled, original: r.original };
    port.postMessage(reply, [r.instrumented.buffer as ArrayBuffer]);
    return;
  } catch (e) {
    reply = e instanceof FerriteError
      ? { id, ok: false, code: e.code, message: e.message, data: e.data }
      : { id, ok: false, code: null, message: e instanceof Error ? e.message : String(e), data: {} };
  }
  port.postMessage(reply);
});
