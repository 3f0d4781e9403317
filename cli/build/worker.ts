// The build thread's side (bundled as dist/build-worker.js): builds on request, so a compile never
// runs on the event loop of a process that also serves calls (`ferrite-wasm dev`). The compiler
// stays loaded and warm between builds.
import { parentPort } from "node:worker_threads";
import { buildFunctions, warmUp } from "./builder.js";
import type { BuildRequest, BuildReply } from "./thread.js";

const port = parentPort!;
port.on("message", async (request: BuildRequest) => {
  let reply: BuildReply;
  try {
    if (request.kind === "warm-up") {
      await warmUp(request.manifest);
      reply = { id: request.id, results: [] };
    } else {
      const fns = request.manifest.functions.filter((f) => request.names.includes(f.name));
      reply = { id: request.id, results: await buildFunctions(request.manifest, fns, request.options) };
    }
  } catch (e) {
    reply = { id: request.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
});
