// TRIGGER.CREATE DELETE LIST INFO ENABLE DISABLE (docs/commands.md):
//   TRIGGER.CREATE name ON pattern EVENTS event [event ...] ACTION CALL function
import { MapReply, OK } from "../resp.js";
import { TRIGGER_EVENTS, type TriggerEvent } from "../trigger-events.js";
import { keyword, syntaxError, text } from "./args.js";
import { clip, type CommandSpec } from "./registry.js";

const GRAMMAR = "TRIGGER.CREATE name ON pattern EVENTS SET|DEL [...] ACTION CALL function";

function parseCreate(args: Buffer[]): { name: string; pattern: string; events: TriggerEvent[]; function: string } {
  const expect = (i: number, kw: string) => {
    if (i >= args.length || keyword(args[i]) !== kw) {
      throw syntaxError(`expected ${kw}${i < args.length ? ` where '${clip(text(args[i]))}' is` : " at the end"}; the form is ${GRAMMAR}`);
    }
  };
  expect(2, "ON");
  const pattern = text(args[3]);
  expect(4, "EVENTS");
  const events: TriggerEvent[] = [];
  let i = 5;
  for (; i < args.length && keyword(args[i]) !== "ACTION"; i++) {
    const ev = keyword(args[i]) as TriggerEvent;
    if (!TRIGGER_EVENTS.includes(ev)) throw syntaxError(`unknown trigger event '${clip(text(args[i]))}'; use ${TRIGGER_EVENTS.join(" or ")}`);
    if (!events.includes(ev)) events.push(ev);
  }
  if (events.length === 0) throw syntaxError(`EVENTS needs at least one of ${TRIGGER_EVENTS.join(", ")}`);
  expect(i, "ACTION");
  expect(i + 1, "CALL");
  if (i + 3 !== args.length) throw syntaxError(`ACTION CALL takes exactly one function name; the form is ${GRAMMAR}`);
  return { name: text(args[1]), pattern, events, function: text(args[i + 2]) };
}

export const TRIGGER_COMMANDS: CommandSpec[] = [
  {
    name: "trigger.create",
    arity: -9,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "trigger",
    summary: "Calls a function before each matching write; a failed call refuses the write.",
    async handler(c, args) {
      await c.server.triggers.create(parseCreate(args));
      return OK;
    },
  },
  {
    name: "trigger.delete",
    arity: 2,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "trigger",
    summary: "Deletes a trigger.",
    async handler(c, args) {
      await c.server.triggers.delete(text(args[1]));
      return OK;
    },
  },
  {
    name: "trigger.list",
    arity: -1,
    maxArgs: 3,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "trigger",
    summary: "Trigger names in creation order: TRIGGER.LIST [PATTERN glob].",
    handler(c, args) {
      if (args.length === 2 || (args.length === 3 && keyword(args[1]) !== "PATTERN")) throw syntaxError("the form is TRIGGER.LIST [PATTERN glob]");
      return c.server.triggers.list(args.length === 3 ? text(args[2]) : undefined);
    },
  },
  {
    name: "trigger.info",
    arity: 2,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "trigger",
    summary: "A trigger's definition and counters.",
    handler(c, args) {
      const i = c.server.triggers.info(text(args[1]));
      return new MapReply([
        ["name", i.name],
        ["pattern", i.pattern],
        ["events", i.events],
        ["action", `CALL ${i.function}`],
        ["enabled", i.enabled ? 1 : 0],
        ["executions", i.executions],
        ["last_execution", i.last_execution],
        ["errors", i.errors],
        ["last_error", i.last_error],
        ["created_at", i.created_at],
      ]);
    },
  },
  {
    name: "trigger.enable",
    arity: 2,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "trigger",
    summary: "Enables a trigger.",
    async handler(c, args) {
      await c.server.triggers.setEnabled(text(args[1]), true);
      return OK;
    },
  },
  {
    name: "trigger.disable",
    arity: 2,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "trigger",
    summary: "Disables a trigger: matching writes go ahead without calling its function.",
    async handler(c, args) {
      await c.server.triggers.setEnabled(text(args[1]), false);
      return OK;
    },
  },
];
