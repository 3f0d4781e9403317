// String commands: GET SET MGET MSET INCR DECR INCRBY DECRBY, with Redis's options and error texts.
import type { SetOptions } from "../store/keyspace.js";
import { CommandError, OK } from "../resp.js";
import { after, int64, integer, keyword, syntaxError } from "./args.js";
import type { CommandSpec } from "./registry.js";

const MAX_MS = 2 ** 52; // larger expiries overflow Redis's millisecond clock arithmetic

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
      const n = integer(args[++i]);
      const ms = kw === "EX" || kw === "EXAT" ? n * 1000 : n;
      if (n <= 0 || ms > MAX_MS) throw new CommandError("ERR invalid expire time in 'set' command");
      if (kw === "EX" || kw === "PX") o.ttlMs = ms;
      else o.expireAtMs = ms;
      expiry = true;
    } else {
      throw syntaxError();
    }
  }
  return o;
}

function incr(delta: (args: Buffer[]) => bigint): CommandSpec["handler"] {
  return (c, args) => after(c.server.keyspace.incrBy(args[1], delta(args)), (n) => n);
}

export const STRING_COMMANDS: CommandSpec[] = [
  {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "string",
    summary: "Returns the value of a key, or nil.",
    keys: [1, 1, 1],
    handler: (c, args) => c.server.keyspace.get(args[1]),
  },
  {
    name: "set",
    arity: -3,
    flags: ["write"],
    group: "string",
    summary: "Sets a key: SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL].",
    keys: [1, 1, 1],
    handler(c, args) {
      const o = parseSet(args);
      return after(c.server.keyspace.set(args[1], args[2], o), (r) => (o.get ? r.previous : r.written ? OK : null));
    },
  },
  {
    name: "mget",
    arity: -2,
    flags: ["readonly", "fast"],
    group: "string",
    summary: "Returns the values of several keys.",
    keys: [1, -1, 1],
    handler: (c, args) => c.server.keyspace.mget(args.slice(1)),
  },
  {
    name: "mset",
    arity: -3,
    flags: ["write"],
    group: "string",
    summary: "Sets several keys.",
    keys: [1, -1, 2],
    handler(c, args) {
      if (args.length % 2 === 0) throw new CommandError("ERR wrong number of arguments for 'mset' command");
      const pairs: [Buffer, Buffer][] = [];
      for (let i = 1; i < args.length; i += 2) pairs.push([args[i], args[i + 1]]);
      return after(c.server.keyspace.mset(pairs), () => OK);
    },
  },
  {
    name: "incr",
    arity: 2,
    flags: ["write", "fast"],
    group: "string",
    summary: "Adds 1 to the integer stored at a key.",
    keys: [1, 1, 1],
    handler: incr(() => 1n),
  },
  {
    name: "decr",
    arity: 2,
    flags: ["write", "fast"],
    group: "string",
    summary: "Subtracts 1 from the integer stored at a key.",
    keys: [1, 1, 1],
    handler: incr(() => -1n),
  },
  {
    name: "incrby",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Adds an integer to the integer stored at a key.",
    keys: [1, 1, 1],
    handler: incr((args) => int64(args[2])),
  },
  {
    name: "decrby",
    arity: 3,
    flags: ["write", "fast"],
    group: "string",
    summary: "Subtracts an integer from the integer stored at a key.",
    keys: [1, 1, 1],
    handler: incr((args) => -int64(args[2])),
  },
];
