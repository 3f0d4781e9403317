// Generic key commands: DEL EXISTS KEYS SCAN TTL PTTL EXPIRE PEXPIRE PERSIST DBSIZE FLUSHDB TYPE.
import type { ExpireCondition } from "../store/keyspace.js";
import { CommandError, OK, SimpleString } from "../resp.js";
import { after, integer, keyword, syntaxError } from "./args.js";
import type { CommandSpec, Handler } from "./registry.js";

const MAX_MS = 2 ** 52;
const CONDITIONS = new Set(["NX", "XX", "GT", "LT"]);

function expire(unitMs: number, name: string): Handler {
  return (c, args) => {
    const n = integer(args[2]);
    const ms = n * unitMs;
    if (Math.abs(ms) > MAX_MS) throw new CommandError(`ERR invalid expire time in '${name}' command`);
    let condition: ExpireCondition | undefined;
    for (let i = 3; i < args.length; i++) {
      const kw = keyword(args[i]);
      if (!CONDITIONS.has(kw)) throw new CommandError(`ERR Unsupported option ${args[i].toString()}`);
      if (condition !== undefined) {
        throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
      }
      condition = kw as ExpireCondition;
    }
    return after(c.server.keyspace.pexpire(args[1], ms, condition), (ok) => (ok ? 1 : 0));
  };
}

function ttl(unitMs: number): Handler {
  return (c, args) => after(c.server.keyspace.pttl(args[1]), (ms) => (ms < 0 ? ms : Math.round(ms / unitMs)));
}

const flush: Handler = (c, args) => {
  if (args.length > 2 || (args.length === 2 && !["ASYNC", "SYNC"].includes(keyword(args[1])))) throw syntaxError();
  return after(c.server.keyspace.flush(), () => OK);
};

export const KEY_COMMANDS: CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    group: "generic",
    summary: "Deletes keys; returns how many existed.",
    keys: [1, -1, 1],
    handler: (c, args) => c.server.keyspace.del(args.slice(1)),
  },
  {
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Deletes keys (same as DEL here).",
    keys: [1, -1, 1],
    handler: (c, args) => c.server.keyspace.del(args.slice(1)),
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Counts how many of the keys exist.",
    keys: [1, -1, 1],
    handler: (c, args) => c.server.keyspace.exists(args.slice(1)),
  },
  {
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    acl: ["keyspace", "read", "dangerous"],
    group: "generic",
    summary: "Returns every key matching a glob pattern.",
    handler: (c, args) => c.server.keyspace.keys(args[1]),
  },
  {
    name: "scan",
    arity: -2,
    flags: ["readonly"],
    group: "generic",
    summary: "Iterates the keyspace: SCAN cursor [MATCH pattern] [COUNT n] [TYPE t].",
    handler(c, args) {
      const cursor = args[1].toString("latin1");
      if (!/^[0-9]{1,20}$/.test(cursor)) throw new CommandError("ERR invalid cursor");
      let match: Buffer | null = null;
      let count = 10;
      let type: string | null = null;
      for (let i = 2; i < args.length; i += 2) {
        const kw = keyword(args[i]);
        if (i + 1 >= args.length) throw syntaxError();
        if (kw === "MATCH") match = args[i + 1];
        else if (kw === "COUNT") {
          count = integer(args[i + 1]);
          if (count < 1) throw syntaxError();
        } else if (kw === "TYPE") type = args[i + 1].toString();
        else throw syntaxError();
      }
      return after(c.server.keyspace.scan(cursor, match, Math.min(count, 100_000), type), (p) => [p.cursor, p.keys]);
    },
  },
  {
    name: "ttl",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Seconds until a key expires; -1 without expiry, -2 when missing.",
    keys: [1, 1, 1],
    handler: ttl(1000),
  },
  {
    name: "pttl",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Milliseconds until a key expires; -1 without expiry, -2 when missing.",
    keys: [1, 1, 1],
    handler: ttl(1),
  },
  {
    name: "expire",
    arity: -3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Sets a key's time to live in seconds: EXPIRE key s [NX|XX|GT|LT].",
    keys: [1, 1, 1],
    handler: expire(1000, "expire"),
  },
  {
    name: "pexpire",
    arity: -3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Sets a key's time to live in milliseconds.",
    keys: [1, 1, 1],
    handler: expire(1, "pexpire"),
  },
  {
    name: "persist",
    arity: 2,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Removes a key's expiry.",
    keys: [1, 1, 1],
    handler: (c, args) => after(c.server.keyspace.persist(args[1]), (ok) => (ok ? 1 : 0)),
  },
  {
    name: "dbsize",
    arity: 1,
    flags: ["readonly", "fast"],
    acl: ["keyspace", "read"],
    group: "server",
    summary: "Number of keys.",
    handler: (c) => c.server.keyspace.dbsize(),
  },
  {
    name: "flushdb",
    arity: -1,
    flags: ["write"],
    acl: ["keyspace", "write", "dangerous"],
    group: "server",
    summary: "Deletes every key (of the store's database when the store is Redis).",
    handler: flush,
  },
  {
    name: "flushall",
    arity: -1,
    flags: ["write"],
    acl: ["keyspace", "write", "dangerous"],
    group: "server",
    summary: "Same as FLUSHDB: there is one database.",
    handler: flush,
  },
  {
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "The type of a key's value, or none.",
    keys: [1, 1, 1],
    handler: (c, args) => after(c.server.keyspace.type(args[1]), (t) => new SimpleString(t)),
  },
];
