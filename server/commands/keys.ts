// Generic key commands: DEL UNLINK EXISTS TOUCH KEYS SCAN RANDOMKEY TYPE TTL PTTL EXPIRETIME
// PEXPIRETIME EXPIRE PEXPIRE EXPIREAT PEXPIREAT PERSIST RENAME RENAMENX COPY, with Redis's replies
// and errors. With a Redis store they are `native`: Redis runs them.
import type { ExpireCondition } from "../store/keyspace.js";
import { CommandError, OK, SimpleString } from "../resp.js";
import { dbIndex, integer, keyword, memory, syntaxError } from "./args.js";
import { keyAt, keysFrom } from "./keyspecs.js";
import type { CommandSpec, Handler } from "./registry.js";

const MAX_MS = 2 ** 52;
const CONDITIONS = new Set(["NX", "XX", "GT", "LT"]);

/** EXPIRE PEXPIRE EXPIREAT PEXPIREAT: options first, then the time, as Redis checks them. */
function expire(unitMs: number, absolute: boolean, name: string): Handler {
  return (c, args) => {
    const conditions = new Set<ExpireCondition>();
    for (let i = 3; i < args.length; i++) {
      const kw = keyword(args[i]);
      if (!CONDITIONS.has(kw)) throw new CommandError(`ERR Unsupported option ${args[i].toString()}`);
      conditions.add(kw as ExpireCondition);
    }
    if (conditions.has("NX") && conditions.size > 1) {
      throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if (conditions.has("GT") && conditions.has("LT")) throw new CommandError("ERR GT and LT options at the same time are not compatible");
    const n = integer(args[2]);
    const ms = n * unitMs;
    if (Math.abs(ms) > MAX_MS) throw new CommandError(`ERR invalid expire time in '${name}' command`);
    const ks = memory(c);
    return ks.expireAt(args[1], absolute ? ms : ks.clock() + ms, [...conditions]) ? 1 : 0;
  };
}

function ttl(unitMs: number): Handler {
  return (c, args) => {
    const ms = memory(c).pttl(args[1]);
    return ms < 0 ? ms : Math.round(ms / unitMs);
  };
}

function expireTime(unitMs: number): Handler {
  return (c, args) => {
    const at = memory(c).pexpireTime(args[1]);
    return at < 0 ? at : Math.floor(at / unitMs);
  };
}

function rename(nx: boolean): Handler {
  return (c, args) => {
    const done = memory(c).rename(args[1], args[2], nx);
    return nx ? (done ? 1 : 0) : OK;
  };
}

/** SCAN's arguments, checked as Redis checks them. */
function scanArgs(args: Buffer[]): { cursor: string; match: Buffer | null; count: number; type: string | null } {
  const cursor = args[1].toString("latin1");
  if (!/^[0-9]{1,20}$/.test(cursor)) throw new CommandError("ERR invalid cursor");
  let match: Buffer | null = null;
  let n = 10;
  let type: string | null = null;
  for (let i = 2; i < args.length; i += 2) {
    const kw = keyword(args[i]);
    if (i + 1 >= args.length) throw syntaxError();
    if (kw === "MATCH") match = args[i + 1];
    else if (kw === "COUNT") {
      n = integer(args[i + 1]);
      if (n < 1) throw syntaxError();
    } else if (kw === "TYPE") type = args[i + 1].toString();
    else throw syntaxError();
  }
  return { cursor, match, count: Math.min(n, 100_000), type };
}

const count = (f: (c: Parameters<Handler>[0], keys: Buffer[]) => number): Handler => (c, args) => f(c, args.slice(1));

export const KEY_COMMANDS: CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    group: "generic",
    summary: "Deletes keys; returns how many existed.",
    keySpecs: [keysFrom(1, 1, "RM", "delete")],
    native: true,
    handler: count((c, keys) => memory(c).del(keys)),
  },
  {
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Deletes keys (same as DEL here).",
    keySpecs: [keysFrom(1, 1, "RM", "delete")],
    native: true,
    handler: count((c, keys) => memory(c).del(keys)),
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Counts how many of the keys exist.",
    keySpecs: [keysFrom(1, 1, "RO")],
    native: true,
    handler: count((c, keys) => memory(c).exists(keys)),
  },
  {
    name: "touch",
    arity: -2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Counts how many of the keys exist (no LRU is kept here).",
    keySpecs: [keysFrom(1, 1, "RO")],
    native: true,
    handler: count((c, keys) => memory(c).exists(keys)),
  },
  {
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    acl: ["keyspace", "read", "dangerous"],
    group: "generic",
    summary: "Returns every key matching a glob pattern.",
    native: true,
    handler: (c, args) => memory(c).keys(args[1]),
  },
  {
    name: "scan",
    arity: -2,
    flags: ["readonly"],
    group: "generic",
    summary: "Iterates the keyspace: SCAN cursor [MATCH pattern] [COUNT n] [TYPE t].",
    native: true,
    handler(c, args) {
      const p = scanArgs(args);
      const page = memory(c).scan(p.cursor, p.match, p.count, p.type);
      return [page.cursor, page.keys];
    },
  },
  {
    name: "randomkey",
    arity: 1,
    flags: ["readonly"],
    group: "generic",
    summary: "A random key of the database, or nil when it is empty.",
    native: true,
    handler: (c) => memory(c).randomKey(),
  },
  {
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "The type of a key's value, or none.",
    keySpecs: [keyAt(1, "RO")],
    native: true,
    handler: (c, args) => new SimpleString(memory(c).type(args[1])),
  },
  {
    name: "ttl",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Seconds until a key expires; -1 without expiry, -2 when missing.",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: ttl(1000),
  },
  {
    name: "pttl",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "Milliseconds until a key expires; -1 without expiry, -2 when missing.",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: ttl(1),
  },
  {
    name: "expiretime",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "When a key expires, in Unix seconds; -1 without expiry, -2 when missing.",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: expireTime(1000),
  },
  {
    name: "pexpiretime",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "generic",
    summary: "When a key expires, in Unix milliseconds; -1 without expiry, -2 when missing.",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: expireTime(1),
  },
  {
    name: "expire",
    arity: -3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Sets a key's time to live in seconds: EXPIRE key s [NX|XX|GT|LT].",
    keySpecs: [keyAt(1, "RW", "update")],
    native: true,
    handler: expire(1000, false, "expire"),
  },
  {
    name: "pexpire",
    arity: -3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Sets a key's time to live in milliseconds: PEXPIRE key ms [NX|XX|GT|LT].",
    keySpecs: [keyAt(1, "RW", "update")],
    native: true,
    handler: expire(1, false, "pexpire"),
  },
  {
    name: "expireat",
    arity: -3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Makes a key expire at a Unix time in seconds: EXPIREAT key t [NX|XX|GT|LT].",
    keySpecs: [keyAt(1, "RW", "update")],
    native: true,
    handler: expire(1000, true, "expireat"),
  },
  {
    name: "pexpireat",
    arity: -3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Makes a key expire at a Unix time in milliseconds: PEXPIREAT key t [NX|XX|GT|LT].",
    keySpecs: [keyAt(1, "RW", "update")],
    native: true,
    handler: expire(1, true, "pexpireat"),
  },
  {
    name: "persist",
    arity: 2,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Removes a key's expiry.",
    keySpecs: [keyAt(1, "RW", "update")],
    native: true,
    handler: (c, args) => (memory(c).persist(args[1]) ? 1 : 0),
  },
  {
    name: "rename",
    arity: 3,
    flags: ["write"],
    group: "generic",
    summary: "Renames a key, replacing the destination; ERR no such key when missing.",
    keySpecs: [keyAt(1, "RW", "access", "delete"), keyAt(2, "OW", "update")],
    native: true,
    handler: rename(false),
  },
  {
    name: "renamenx",
    arity: 3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "Renames a key only when the new name is free: 1 when renamed, 0 when not.",
    keySpecs: [keyAt(1, "RW", "access", "delete"), keyAt(2, "OW", "insert")],
    native: true,
    handler: rename(true),
  },
  {
    name: "copy",
    arity: -3,
    flags: ["write"],
    group: "generic",
    summary: "COPY source destination [DB db] [REPLACE]: 1 when copied, 0 when not.",
    keySpecs: [keyAt(1, "RO", "access"), keyAt(2, "OW", "update")],
    native: true,
    handler(c, args) {
      let replace = false;
      let db = c.db;
      for (let j = 3; j < args.length; j++) {
        const kw = keyword(args[j]);
        if (kw === "REPLACE") replace = true;
        else if (kw === "DB" && j + 1 < args.length) db = dbIndex(c, args[++j]);
        else throw syntaxError();
      }
      if (db === c.db && args[1].equals(args[2])) throw new CommandError("ERR source and destination objects are the same");
      const target = c.server.databases.keyspace(db);
      return memory(c).copyTo(args[1], target as ReturnType<typeof memory>, args[2], replace) ? 1 : 0;
    },
  },
];
