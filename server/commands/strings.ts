// String commands, with Redis's options, replies and error texts: GET SET MGET MSET MSETNX GETSET
// SETNX SETEX PSETEX GETDEL GETEX STRLEN APPEND GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY
// INCRBYFLOAT. With a Redis store they are all `native`: Redis runs them.
import { parseDecimal, type SetOptions } from "../store/keyspace.js";
import { CommandError, OK } from "../resp.js";
import { int64, integer, keyword, memory, syntaxError } from "./args.js";
import { keyAt, keysFrom } from "./keyspecs.js";
import type { CommandSpec, Handler } from "./registry.js";

const MAX_MS = 2 ** 52; // larger expiries overflow Redis's millisecond clock arithmetic

const invalidExpire = (command: string) => new CommandError(`ERR invalid expire time in '${command}' command`);

/** EX/PX/EXAT/PXAT's argument as an absolute or relative time in ms, checked as Redis does. */
function expireArg(kw: string, arg: Buffer, command: string): number {
  const n = integer(arg);
  const ms = kw === "EX" || kw === "EXAT" ? n * 1000 : n;
  if (n <= 0 || ms > MAX_MS) throw invalidExpire(command);
  return ms;
}

function parseSet(args: Buffer[]): SetOptions {
  const o: SetOptions = {};
  let expiry = false;
  for (let i = 3; i < args.length; i++) {
    const kw = keyword(args[i]);
    if ((kw === "NX" || kw === "XX") && !o.condition) o.condition = kw;
    else if (kw === "GET" && !o.get) o.get = true;
    else if (kw === "KEEPTTL" && !expiry) {
      o.keepTtl = true;
      expiry = true;
    } else if ((kw === "EX" || kw === "PX" || kw === "EXAT" || kw === "PXAT") && !expiry && i + 1 < args.length) {
      const ms = expireArg(kw, args[++i], "set");
      if (kw === "EX" || kw === "PX") o.ttlMs = ms;
      else o.expireAtMs = ms;
      expiry = true;
    } else {
      throw syntaxError();
    }
  }
  return o;
}

function incr(delta: (args: Buffer[]) => bigint): Handler {
  return (c, args) => memory(c).incrBy(args[1], delta(args));
}

/** SETEX/PSETEX key time value. */
function setex(unit: "EX" | "PX", command: string): Handler {
  return (c, args) => {
    const ms = expireArg(unit, args[2], command);
    memory(c).set(args[1], args[3], { ttlMs: ms });
    return OK;
  };
}

function getrange(c: Parameters<Handler>[0], args: Buffer[]) {
  return memory(c).getrange(args[1], integer(args[2]), integer(args[3]));
}

export const STRING_COMMANDS: CommandSpec[] = [
  {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "string",
    summary: "Returns the value of a key, or nil.",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: (c, args) => memory(c).get(args[1]),
  },
  {
    name: "set",
    arity: -3,
    flags: ["write"],
    group: "string",
    summary: "Sets a key: SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL].",
    keySpecs: [
      {
        ...keyAt(1, "RW", "access", "update", "variable_flags"),
        notes: "RW and ACCESS due to the optional `GET` argument",
        // As Redis's setGetKeys: only SET ... GET reads the key.
        flagsFor: (args) => (args.slice(3).some((a) => a.length === 3 && a.toString("latin1").toUpperCase() === "GET") ? ["RW", "access", "update"] : ["OW", "update"]),
      },
    ],
    native: true,
    handler(c, args) {
      const o = parseSet(args);
      const r = memory(c).set(args[1], args[2], o);
      return o.get ? r.previous : r.written ? OK : null;
    },
  },
  {
    name: "setnx",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Sets a key only when it does not exist: 1 when set, 0 when not.",
    keySpecs: [keyAt(1, "OW", "insert")],
    native: true,
    handler: (c, args) => (memory(c).set(args[1], args[2], { condition: "NX" }).written ? 1 : 0),
  },
  {
    name: "setex",
    arity: 4,
    flags: ["write"],
    group: "string",
    summary: "SETEX key seconds value: sets a key with an expiry in seconds.",
    keySpecs: [keyAt(1, "OW", "update")],
    native: true,
    handler: setex("EX", "setex"),
  },
  {
    name: "psetex",
    arity: 4,
    flags: ["write"],
    group: "string",
    summary: "PSETEX key milliseconds value: sets a key with an expiry in milliseconds.",
    keySpecs: [keyAt(1, "OW", "update")],
    native: true,
    handler: setex("PX", "psetex"),
  },
  {
    name: "getset",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Sets a key and returns its old value (as SET key value GET).",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler: (c, args) => memory(c).set(args[1], args[2], { get: true }).previous,
  },
  {
    name: "getdel",
    arity: 2,
    flags: ["write", "fast"],
    group: "string",
    summary: "Returns a key's value and deletes the key.",
    keySpecs: [keyAt(1, "RW", "access", "delete")],
    native: true,
    handler: (c, args) => memory(c).getdel(args[1]),
  },
  {
    name: "getex",
    arity: -2,
    flags: ["write", "fast"],
    group: "string",
    summary: "GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]: returns the value and changes the expiry.",
    keySpecs: [{ ...keyAt(1, "RW", "access", "update"), notes: "RW and UPDATE because it changes the TTL" }],
    native: true,
    handler(c, args) {
      let at: number | undefined;
      let relative = false;
      let seen = false;
      for (let i = 2; i < args.length; i++) {
        const kw = keyword(args[i]);
        if (kw === "PERSIST" && !seen) {
          at = 0;
          seen = true;
        } else if ((kw === "EX" || kw === "PX" || kw === "EXAT" || kw === "PXAT") && !seen && i + 1 < args.length) {
          at = expireArg(kw, args[++i], "getex");
          relative = kw === "EX" || kw === "PX";
          seen = true;
        } else throw syntaxError();
      }
      const ks = memory(c);
      return ks.getex(args[1], at !== undefined && relative ? ks.clock() + at : at);
    },
  },
  {
    name: "mget",
    arity: -2,
    flags: ["readonly", "fast"],
    group: "string",
    summary: "Returns the values of several keys.",
    keySpecs: [keysFrom(1, 1, "RO", "access")],
    native: true,
    handler: (c, args) => memory(c).mget(args.slice(1)),
  },
  {
    name: "mset",
    arity: -3,
    flags: ["write"],
    group: "string",
    summary: "Sets several keys.",
    keySpecs: [keysFrom(1, 2, "OW", "update")],
    native: true,
    handler(c, args) {
      memory(c).mset(pairs(args, "mset"));
      return OK;
    },
  },
  {
    name: "msetnx",
    arity: -3,
    flags: ["write"],
    group: "string",
    summary: "Sets several keys, only when none of them exists: 1 when set, 0 when not.",
    keySpecs: [keysFrom(1, 2, "OW", "insert")],
    native: true,
    handler: (c, args) => (memory(c).msetnx(pairs(args, "msetnx")) ? 1 : 0),
  },
  {
    name: "strlen",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "string",
    summary: "The length of a key's value in bytes (0 when missing).",
    keySpecs: [keyAt(1, "RO")],
    native: true,
    handler: (c, args) => memory(c).strlen(args[1]),
  },
  {
    name: "append",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Appends to a key's value; returns the new length.",
    keySpecs: [keyAt(1, "RW", "insert")],
    native: true,
    handler(c, args) {
      checkSize(c, memory(c).strlen(args[1]) + args[2].length);
      return memory(c).append(args[1], args[2]);
    },
  },
  {
    name: "getrange",
    arity: 4,
    flags: ["readonly"],
    group: "string",
    summary: "GETRANGE key start end: a substring by byte offsets (negative: from the end).",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: getrange,
  },
  {
    name: "substr",
    arity: 4,
    flags: ["readonly"],
    group: "string",
    summary: "Same as GETRANGE.",
    keySpecs: [keyAt(1, "RO", "access")],
    native: true,
    handler: getrange,
  },
  {
    name: "setrange",
    arity: 4,
    flags: ["write"],
    group: "string",
    summary: "SETRANGE key offset value: overwrites part of a value; returns the new length.",
    keySpecs: [keyAt(1, "RW", "update")],
    native: true,
    handler(c, args) {
      const offset = integer(args[2]);
      if (offset < 0) throw new CommandError("ERR offset is out of range");
      return memory(c).setrange(args[1], offset, args[3], c.server.settings.maxBulkLen);
    },
  },
  {
    name: "incr",
    arity: 2,
    flags: ["write", "fast"],
    group: "string",
    summary: "Adds 1 to the integer stored at a key.",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler: incr(() => 1n),
  },
  {
    name: "decr",
    arity: 2,
    flags: ["write", "fast"],
    group: "string",
    summary: "Subtracts 1 from the integer stored at a key.",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler: incr(() => -1n),
  },
  {
    name: "incrby",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Adds an integer to the integer stored at a key.",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler: incr((args) => int64(args[2])),
  },
  {
    name: "decrby",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Subtracts an integer from the integer stored at a key.",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler: incr((args) => {
      const n = int64(args[2]);
      if (n === -(2n ** 63n)) throw new CommandError("ERR decrement would overflow");
      return -n;
    }),
  },
  {
    name: "incrbyfloat",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Adds a float to the number stored at a key; returns the result as Redis prints it.",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler(c, args) {
      const delta = parseDecimal(args[2].toString("latin1"));
      if (delta === null) throw new CommandError("ERR value is not a valid float");
      return memory(c).incrByFloat(args[1], delta);
    },
  },
];

function pairs(args: Buffer[], command: string): [Buffer, Buffer][] {
  if (args.length % 2 === 0) throw new CommandError(`ERR wrong number of arguments for '${command}' command`);
  const out: [Buffer, Buffer][] = [];
  for (let i = 1; i < args.length; i += 2) out.push([args[i], args[i + 1]]);
  return out;
}

/** Redis refuses to grow a string past proto-max-bulk-len. */
function checkSize(c: Parameters<Handler>[0], length: number): void {
  if (length > c.server.settings.maxBulkLen) throw new CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}

