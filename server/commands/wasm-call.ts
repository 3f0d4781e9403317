// WASM.CALL and WASM.CALLREAD: the hot path. The bulk arguments go to the runtime as they are
// (Buffers are Uint8Arrays); the reply is the returned bytes, nil, or the call's ERR line.
// Every call is reported to the server's observability (logs, slow log, flight recorder, metrics).
import type { Client } from "../context.js";
import { ErrorReply, type Reply } from "../resp.js";
import type { CommandSpec } from "./registry.js";

const NO_ARGS: readonly Uint8Array[] = [];

function call(c: Client, args: Buffer[], readOnly: boolean): Reply {
  const name = args[1].toString();
  const { observe } = c.server;
  let options = observe.callOptions(readOnly);
  // A client that SELECTed another database: the function reads and writes that one.
  if (c.db !== c.server.databases.home) options = { ...options, store: c.store };
  const result = c.server.runtime.call(name, args.length > 2 ? args.slice(2) : NO_ARGS, options);
  observe.called(name, result, { command: args, client: c, via: readOnly ? "wasm.callread" : "wasm.call" });
  c.server.onCall?.(name, result);
  return result.ok ? result.value : new ErrorReply(result.error!.reply);
}

export const WASM_CALL_COMMANDS: CommandSpec[] = [
  {
    name: "wasm.call",
    arity: -2,
    flags: ["write", "wasm"],
    group: "wasm",
    summary: "Calls a function; its writes are applied all together or not at all.",
    handler: (c, args) => call(c, args, false),
  },
  {
    name: "wasm.callread",
    arity: -2,
    flags: ["readonly", "wasm"],
    group: "wasm",
    summary: "Calls a function that may only read; any write fails the call.",
    handler: (c, args) => call(c, args, true),
  },
];
