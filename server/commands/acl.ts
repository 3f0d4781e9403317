// ACL SETUSER, DELUSER, GETUSER, LIST, USERS, WHOAMI, CAT: Redis's replies for the subset of rules
// this server supports (docs/config.md#users-and-permissions).
import { CATEGORIES, commandCategories, isCategory } from "../acl/categories.js";
import { AclRuleError, type AclUser } from "../acl/user.js";
import type { Client } from "../context.js";
import { CommandError, MapReply, OK, type Reply } from "../resp.js";
import { text } from "./args.js";
import { withSubcommands, type CommandSpec, type SubcommandSpec } from "./registry.js";

/** The command table, given by index.ts (which imports this file). */
let table: () => ReadonlyMap<string, CommandSpec> = () => new Map();

const ADMIN = ["admin", "dangerous"] as const;

const ACL_SUBCOMMANDS: SubcommandSpec[] = [
  {
    name: "setuser",
    arity: -3,
    summary: "ACL SETUSER username [rule ...]: creates or changes a user.",
    acl: ADMIN,
    handler(c, args) {
      const name = text(args[2]);
      if (!/^[!-~]+$/.test(name)) throw new CommandError("ERR Usernames can't contain spaces or null characters");
      return settle(() => c.server.auth.setUser(name, args.slice(3).map(text)), () => OK);
    },
  },
  {
    name: "deluser",
    arity: -3,
    summary: "ACL DELUSER username [username ...]: removes users and closes their connections.",
    acl: ADMIN,
    handler(c, args) {
      const names = args.slice(2).map(text);
      if (names.includes("default")) throw new CommandError("ERR The 'default' user cannot be removed");
      return settle(
        () => c.server.auth.deleteUsers(names),
        (removed) => {
          // As Redis: connections authenticated as a removed user are closed.
          for (const user of removed) closeConnectionsOf(c.server.clients, user, c);
          return removed.length;
        },
      );
    },
  },
  {
    name: "getuser",
    arity: 3,
    summary: "ACL GETUSER username: flags, passwords, commands, keys, channels.",
    acl: ADMIN,
    handler(c, args) {
      const user = c.server.auth.get(text(args[2]));
      if (!user) return null;
      return new MapReply([
        ["flags", user.flags()],
        ["passwords", [...user.passwords]],
        ["commands", user.commandsText()],
        ["keys", user.keysText()],
        ["channels", channels(user.channelsText())],
        ["selectors", []],
      ]);
    },
  },
  {
    name: "list",
    arity: 2,
    summary: "Every user, as rules.",
    acl: ADMIN,
    handler: (c) => c.server.auth.names().map((n) => c.server.auth.get(n)!.describe()),
  },
  {
    name: "users",
    arity: 2,
    summary: "Every user's name.",
    acl: ADMIN,
    handler: (c) => c.server.auth.names(),
  },
  {
    name: "whoami",
    arity: 2,
    summary: "The user this connection runs as.",
    acl: [],
    handler: (c) => c.user,
  },
  {
    name: "cat",
    arity: -2,
    summary: "ACL CAT [category]: the categories, or the commands in one.",
    acl: [],
    handler(c, args): Reply {
      if (args.length > 3) throw new CommandError("ERR wrong number of arguments for 'acl|cat' command");
      if (args.length === 2) return Object.keys(CATEGORIES);
      const cat = text(args[2]).toLowerCase().replace(/^@/, "");
      if (!isCategory(cat)) throw new CommandError(`ERR Unknown category '${text(args[2])}'`);
      const out: string[] = [];
      const seen = new Set<CommandSpec>();
      for (const spec of table().values()) {
        if (seen.has(spec)) continue;
        seen.add(spec);
        if (spec.subcommands?.some((s) => s.acl !== undefined)) {
          for (const s of spec.subcommands) {
            if (commandCategories({ ...spec, acl: s.acl ?? spec.acl }).includes(cat)) out.push(`${spec.name}|${s.name}`);
          }
        } else if (commandCategories(spec).includes(cat)) out.push(spec.name);
      }
      // With a Redis store, the commands passed through to it, by the store's own categories.
      for (const cmd of c.server.store?.commands.values() ?? []) {
        if (!table().has(cmd.name) && cmd.refused === null && cmd.categories.includes(cat)) out.push(cmd.name);
      }
      return out;
    },
  },
];

/** `change`'s result (now, or once the store has it) as a reply; a bad rule is Redis's error. */
function settle<T>(change: () => T | Promise<T>, reply: (result: T) => Reply): Reply | Promise<Reply> {
  const ruleError = (e: unknown): never => {
    if (e instanceof AclRuleError) throw new CommandError(`ERR Error in ACL SETUSER modifier '${e.token}': ${e.reason}`);
    throw e;
  };
  let result: T | Promise<T>;
  try {
    result = change();
  } catch (e) {
    return ruleError(e);
  }
  return result instanceof Promise ? result.then(reply, ruleError) : reply(result);
}

/** Closes the connections running as `user`; `self` (the one that asked) gets its reply first. Returns how many. */
export function closeConnectionsOf(clients: Iterable<Client>, user: AclUser, self?: Client): number {
  let n = 0;
  for (const other of clients) {
    if (other.acl !== user) continue;
    n++;
    if (other === self) self.closeAfterReply();
    else other.shutdown();
  }
  return n;
}

/** GETUSER's channels field: "&*", or the patterns without "resetchannels". */
function channels(described: string): string {
  return described === "&*" ? "&*" : described.replace(/^resetchannels ?/, "");
}

export function aclCommand(commands: () => ReadonlyMap<string, CommandSpec>): CommandSpec {
  table = commands;
  return {
    name: "acl",
    arity: -2,
    flags: [],
    group: "server",
    summary: "ACL SETUSER | DELUSER | GETUSER | LIST | USERS | WHOAMI | CAT.",
    acl: [],
    subcommands: ACL_SUBCOMMANDS,
    handler: withSubcommands("acl", ACL_SUBCOMMANDS),
  };
}
