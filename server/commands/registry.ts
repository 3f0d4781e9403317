// Command specs as data: name, arity (Redis convention: n exact, -n at least n), flags, docs.
// socket.ts checks arity, auth and the wasm switch from these fields; handlers never do.
import type { AclCategory } from "../acl/categories.js";
import type { Client } from "../context.js";
import type { KeySpec } from "./keyspecs.js";
import { CommandError, SimpleString, type Reply } from "../resp.js";

/** Traits code asks about, as ioredis's Command.FLAGS. */
export type CommandFlag =
  | "noauth" // runs before AUTH (AUTH, HELLO, QUIT)
  | "write" // changes the keyspace or the function registry
  | "readonly"
  | "admin"
  | "fast"
  | "wasm" // refused when [wasm] enabled = false
  | "connection";

export type Handler = (client: Client, args: Buffer[]) => Reply | Promise<Reply>;

export interface SubcommandSpec {
  name: string;
  /** Arity counting the parent and the subcommand ("CLIENT SETNAME n" is 3). */
  arity: number;
  summary: string;
  /** ACL categories when they differ from the parent's (ACL WHOAMI is not @admin). */
  acl?: readonly AclCategory[];
  handler: Handler;
}

export interface CommandSpec {
  /** Lower case, as Redis reports it ("wasm.load"). */
  name: string;
  arity: number;
  /** Most arguments (command name included) when the arity is variable but bounded. */
  maxArgs?: number;
  flags: readonly CommandFlag[];
  /** COMMAND DOCS group and summary. */
  group: string;
  summary: string;
  /**
   * ACL categories (ACL CAT), without @fast/@slow, which come from the "fast" flag. Unset: derived
   * from the flags and group as Redis derives its implicit ones (server/acl/categories.ts).
   */
  acl?: readonly AclCategory[];
  /** Where its keys are (Redis key specs); commandKeys() reads them. None: the command takes no keys. */
  keySpecs?: readonly KeySpec[];
  /**
   * With a Redis store, the command goes to the store as it is and the store's reply is the reply
   * (after triggers): Redis's own semantics and errors, for every type of value.
   */
  native?: boolean;
  subcommands?: readonly SubcommandSpec[];
  handler: Handler;
}

/** A handler that dispatches on args[1] through a subcommand table, with Redis's error texts. */
export function withSubcommands(parent: string, subs: readonly SubcommandSpec[]): Handler {
  const table = new Map(subs.map((s) => [s.name, s]));
  return (client, args) => {
    const name = args[1].toString("latin1").toLowerCase();
    if (name === "help") return helpLines(parent, subs);
    const sub = table.get(name);
    if (!sub) {
      throw new CommandError(`ERR unknown subcommand '${clip(args[1].toString())}'. Try ${parent.toUpperCase()} HELP.`);
    }
    if (sub.arity > 0 ? args.length !== sub.arity : args.length < -sub.arity) {
      throw new CommandError(`ERR wrong number of arguments for '${parent}|${sub.name}' command`);
    }
    return sub.handler(client, args);
  };
}

function helpLines(parent: string, subs: readonly SubcommandSpec[]): Reply {
  const lines = [`${parent.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`];
  for (const s of subs) lines.push(s.name.toUpperCase(), `    ${s.summary}`);
  lines.push("HELP", "    Print this help.");
  return lines.map((line) => new SimpleString(line));
}

/** A user's token quoted in an error: at most 128 characters, control bytes escaped. */
export function clip(text: string, max = 128): string {
  const s = text.length > max ? `${text.slice(0, max)}...` : text;
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
