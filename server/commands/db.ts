// Databases, as Redis has them: SELECT, DBSIZE, FLUSHDB, FLUSHALL, MOVE, SWAPDB. The embedded store
// has [server] databases of them (16 by default); a Redis store has its own, and a Redis Cluster
// only database 0 (Redis's errors).
import { MemoryDatabases } from "../store/databases.js";
import { CommandError, OK } from "../resp.js";
import { dbIndex, keyword, memory, syntaxError } from "./args.js";
import { keyAt } from "./keyspecs.js";
import type { CommandSpec, Handler } from "./registry.js";

const SAME = "ERR source and destination objects are the same";

function flushArgs(args: Buffer[]): void {
  if (args.length > 2 || (args.length === 2 && !["ASYNC", "SYNC"].includes(keyword(args[1])))) throw syntaxError();
}

function embedded(c: Parameters<Handler>[0]): MemoryDatabases {
  const dbs = c.server.databases;
  if (!(dbs instanceof MemoryDatabases)) throw new CommandError("ERR internal error: a database command reached the embedded store's handler with a Redis store; please report it");
  return dbs;
}

export const DB_COMMANDS: CommandSpec[] = [
  {
    name: "select",
    arity: 2,
    flags: ["fast", "connection"],
    group: "connection",
    summary: "Makes database n the one this connection's commands (and the functions it calls) use.",
    handler(c, args) {
      const cluster = c.server.store?.cluster === true;
      const n = dbIndex(c, args[1], undefined, cluster);
      c.db = n;
      return OK;
    },
  },
  {
    name: "dbsize",
    arity: 1,
    flags: ["readonly", "fast"],
    acl: ["keyspace", "read"],
    group: "server",
    summary: "Number of keys in the selected database.",
    native: true,
    handler: (c) => memory(c).dbsize(),
  },
  {
    name: "flushdb",
    arity: -1,
    flags: ["write"],
    acl: ["keyspace", "write", "dangerous"],
    group: "server",
    summary: "Deletes every key of the selected database: FLUSHDB [ASYNC|SYNC].",
    native: true,
    handler(c, args) {
      flushArgs(args);
      memory(c).flush();
      return OK;
    },
  },
  {
    name: "flushall",
    arity: -1,
    flags: ["write"],
    acl: ["keyspace", "write", "dangerous"],
    group: "server",
    summary: "Deletes every key of every database: FLUSHALL [ASYNC|SYNC].",
    native: true,
    handler(c, args) {
      flushArgs(args);
      embedded(c).flushAll();
      return OK;
    },
  },
  {
    name: "move",
    arity: 3,
    flags: ["write", "fast"],
    group: "generic",
    summary: "MOVE key db: moves a key to another database; 1 when moved, 0 when missing here or present there.",
    keySpecs: [keyAt(1, "RW", "access", "update")],
    native: true,
    handler(c, args) {
      const db = dbIndex(c, args[2]);
      if (db === c.db) throw new CommandError(SAME);
      return memory(c).moveTo(args[1], embedded(c).keyspace(db)) ? 1 : 0;
    },
  },
  {
    name: "swapdb",
    arity: 3,
    flags: ["write", "fast"],
    acl: ["keyspace", "write", "dangerous"],
    group: "server",
    summary: "SWAPDB a b: swaps two databases' keys; clients of each see the other's from now on.",
    native: true,
    handler(c, args) {
      const a = dbIndex(c, args[1], "ERR invalid first DB index");
      const b = dbIndex(c, args[2], "ERR invalid second DB index");
      embedded(c).swap(a, b);
      return OK;
    },
  },
];
