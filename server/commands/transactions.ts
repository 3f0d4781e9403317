// MULTI EXEC DISCARD WATCH UNWATCH. The logic lives in ../multi.ts; socket.ts queues commands while
// a client is in MULTI (all but those in IMMEDIATE_IN_MULTI).
import { discard, exec, multi, unwatch, watch } from "../multi.js";
import { OK } from "../resp.js";
import { keysFrom } from "./keyspecs.js";
import type { CommandSpec } from "./registry.js";
import { resolveCommand } from "./index.js";

export const TRANSACTION_COMMANDS: CommandSpec[] = [
  {
    name: "multi",
    arity: 1,
    flags: ["fast"],
    group: "transactions",
    summary: "Starts a transaction: later commands are queued until EXEC.",
    handler: (c) => multi(c),
  },
  {
    name: "exec",
    arity: 1,
    flags: [],
    group: "transactions",
    summary: "Runs the queued commands in order, with no other client's command in between.",
    handler: (c) => exec(c, resolveCommand),
  },
  {
    name: "discard",
    arity: 1,
    flags: ["fast"],
    group: "transactions",
    summary: "Drops the queued commands and every WATCH.",
    handler: (c) => discard(c),
  },
  {
    name: "watch",
    arity: -2,
    flags: ["fast"],
    group: "transactions",
    summary: "Makes the next EXEC fail (nil) if any of these keys changes before it.",
    keySpecs: [keysFrom(1, 1, "RO")],
    handler: (c, args) => watch(c, args.slice(1)),
  },
  {
    name: "unwatch",
    arity: 1,
    flags: ["fast"],
    group: "transactions",
    summary: "Forgets every WATCH.",
    handler(c) {
      const done = unwatch(c);
      return done instanceof Promise ? done.then(() => OK) : OK;
    },
  },
];
