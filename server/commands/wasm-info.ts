// WASM.LIST (array of names), WASM.INFO and WASM.STATS (bulk strings holding JSON).
import { text } from "./args.js";
import type { CommandSpec } from "./registry.js";

export const WASM_INFO_COMMANDS: CommandSpec[] = [
  {
    name: "wasm.list",
    arity: 1,
    flags: ["readonly", "wasm", "fast"],
    acl: ["wasm", "wasm-info"],
    group: "wasm",
    summary: "Lists loaded functions in load order.",
    handler: (c) => c.server.runtime.list(),
  },
  {
    name: "wasm.info",
    arity: 2,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-info"],
    group: "wasm",
    summary: "A function's settings and counters, as JSON.",
    handler: (c, args) => JSON.stringify(c.server.functions.info(text(args[1]))),
  },
  {
    name: "wasm.stats",
    arity: -1,
    maxArgs: 2,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-info"],
    group: "wasm",
    summary: "A function's statistics as JSON; without a name, every function's plus totals.",
    handler(c, args) {
      const { runtime } = c.server;
      return JSON.stringify(args.length === 2 ? runtime.stats(text(args[1])) : runtime.stats());
    },
  },
];
