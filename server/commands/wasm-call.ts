// WASM.CALL and WASM.CALLREAD: the hot path. The bulk arguments go to the runtime as they are
// (Buffers are Uint8Arrays); the reply is the returned bytes, nil, or the call's ERR line.
// Every call is reported to the server's observability (logs, slow log, flight recorder, metrics).
import type { CallResult } from "../../runtime-sim/index.js";
import { keyId } from "../../runtime-sim/host.js";
import { SERVER_KEYS } from "../acl/reserved.js";
import type { Client } from "../context.js";
import { ErrorReply, type Reply } from "../resp.js";
import type { CommandSpec } from "./registry.js";

const NO_ARGS: readonly Uint8Array[] = [];

/** The function's name: names are ASCII, read without Buffer's C++ call; anything else as UTF-8. */
function nameOf(b: Buffer): string {
  if (b.length > 64) return b.toString();
  for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) return b.toString();
  return keyId(b);
}

function call(c: Client, args: Buffer[], readOnly: boolean): Reply | Promise<Reply> {
  const name = nameOf(args[1]);
  const { observe, runtime } = c.server;
  const callArgs = args.length > 2 ? args.slice(2) : NO_ARGS;
  // A function runs with its caller's key permissions (server/acl): host calls outside them fail.
  const base = observe.callOptions(readOnly);
  // With a Redis store, the server's own keys are there too: no function may touch them.
  let options = !c.acl.allKeys ? c.acl.callOptions(base) : c.server.store !== null ? SERVER_KEYS.callOptions(base) : base;
  // A client that SELECTed another database: the function reads and writes that one.
  if (c.db !== c.server.databases.home) options = { ...options, store: c.store };
  // A Redis store answers asynchronously: the call waits without holding up other clients.
  if (runtime.asyncStore !== null) {
    // Deployed on another server a moment ago? The store is asked before saying "unknown function".
    const ready = runtime.has(name) ? null : c.server.functions.catchUp();
    if (ready === null) return runtime.callAsync(name, callArgs, options).then((r) => reply(c, name, args, readOnly, r));
    return ready.then(() => runtime.callAsync(name, callArgs, options)).then((r) => reply(c, name, args, readOnly, r));
  }
  return reply(c, name, args, readOnly, runtime.call(name, callArgs, options));
}

function reply(c: Client, name: string, args: Buffer[], readOnly: boolean, result: CallResult): Reply {
  c.server.observe.called(name, result, { command: args, client: c, via: readOnly ? "wasm.callread" : "wasm.call" });
  c.server.onCall?.(name, result);
  return result.ok ? result.value : new ErrorReply(result.error!.reply);
}

export const WASM_CALL_COMMANDS: CommandSpec[] = [
  {
    name: "wasm.call",
    arity: -2,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-call"],
    group: "wasm",
    summary: "Calls a function; its writes are applied all together or not at all.",
    handler: (c, args) => call(c, args, false),
  },
  {
    name: "wasm.callread",
    arity: -2,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-call"],
    group: "wasm",
    summary: "Calls a function that may only read; any write fails the call.",
    handler: (c, args) => call(c, args, true),
  },
];
