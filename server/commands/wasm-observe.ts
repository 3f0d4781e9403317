// What the server saw of its functions (docs/observability.md):
//   WASM.LOGS [COUNT n] [SINCE id|ms|$] [BLOCK ms] [FUNCTIONS name ...]  log lines and call events
//   WASM.SLOWLOG GET [n] | LEN | RESET                                    as Redis's SLOWLOG
//   WASM.FAILURES LIST [fn] | GET fn [id] | RESET [fn]                    the flight recorder
//   WASM.DUMP name [version] [SOURCEMAP]                                  a kept module's bytes
import { errors } from "../../runtime-sim/host.js";
import type { Client } from "../context.js";
import { formatId, parseId, type DroppedNotice, type EntryId, type StreamEntry } from "../observability/index.js";
import type { LogBatch, LogQuery } from "../observability/index.js";
import { CommandError, OK, type Reply } from "../resp.js";
import { integer, keyword, syntaxError, text } from "./args.js";
import { clip, withSubcommands, type CommandSpec, type SubcommandSpec } from "./registry.js";

const DEFAULT_COUNT = 100;
const MAX_COUNT = 10_000;

interface LogsRequest {
  query: LogQuery;
  /** ms to wait for an entry; null: answer at once. 0: no limit. */
  block: number | null;
}

function parseLogs(c: Client, args: Buffer[]): LogsRequest {
  let count = DEFAULT_COUNT;
  let after: EntryId | null | "$" = null;
  let block: number | null = null;
  let functions: string[] | null = null;
  for (let i = 1; i < args.length; i++) {
    const kw = keyword(args[i]);
    if (kw === "FUNCTIONS") {
      functions = args.slice(i + 1).map(text);
      if (functions.length === 0) throw syntaxError("FUNCTIONS needs at least one function name");
      break;
    }
    if (i + 1 >= args.length) throw syntaxError(`${clip(text(args[i]))} needs a value`);
    const value = args[++i];
    if (kw === "COUNT") {
      count = integer(value);
      if (count < 1 || count > MAX_COUNT) throw new CommandError(`ERR COUNT must be between 1 and ${MAX_COUNT}`);
    } else if (kw === "SINCE") {
      const v = text(value);
      const id = v === "$" ? "$" : parseId(v);
      if (id === null) throw new CommandError(`ERR invalid SINCE '${clip(v)}': give an entry id (1732412345678-0), a time in ms since the epoch, or $ for new entries only`);
      after = id;
    } else if (kw === "BLOCK") {
      block = integer(value);
      if (block < 0) throw new CommandError("ERR timeout is negative");
    } else {
      throw syntaxError(`unexpected '${clip(text(args[i - 1]))}' in WASM.LOGS; expected COUNT, SINCE, BLOCK or FUNCTIONS`);
    }
  }
  // Waiting for entries without a cursor means waiting for new ones, as XREAD BLOCK with $.
  if (after === "$" || (after === null && block !== null)) after = c.server.observe.ids.last;
  return { query: { functions, after, count }, block };
}

function entryReply(e: StreamEntry): Reply {
  const fields: string[] = ["type", e.type, "function", e.function, "version", e.version === null ? "" : String(e.version), "time", String(e.time)];
  if (e.type === "log") fields.push("level", e.level, "message", e.message);
  else {
    fields.push("duration_us", String(e.duration_us), "via", e.via, "outcome", e.outcome);
    if (e.error !== null) fields.push("error", e.error);
    if (e.recorded) fields.push("recorded", "1");
  }
  return [formatId(e), fields];
}

function noticeReply(n: DroppedNotice, cursor: EntryId): Reply {
  return [formatId(cursor), ["type", "dropped", "function", n.function, "up_to", formatId(n.upTo), "message", n.message]];
}

function batchReply(batch: LogBatch, cursor: EntryId | null): Reply {
  const out: Reply[] = cursor === null ? [] : batch.dropped.map((n) => noticeReply(n, cursor));
  for (const e of batch.entries) out.push(entryReply(e));
  return out;
}

async function blockingLogs(c: Client, req: LogsRequest): Promise<Reply> {
  const { logs } = c.server.observe.store;
  const deadline = req.block! > 0 ? Date.now() + req.block! : Infinity;
  for (;;) {
    const batch = await logs.read(req.query);
    if (batch.entries.length > 0 || batch.dropped.length > 0) return batchReply(batch, req.query.after);
    const left = deadline - Date.now();
    if (c.closed || left <= 0) return [];
    await logs.wait(req.query.functions, deadline === Infinity ? 0 : left, () => c.closed);
  }
}

const SLOWLOG_SUBCOMMANDS: SubcommandSpec[] = [
  {
    name: "get",
    arity: -2,
    summary: "GET [<count>]: the newest entries (default 10, -1 for all): id, unix time, microseconds, arguments, client address, client name.",
    async handler(c, args) {
      if (args.length > 3) throw new CommandError("ERR wrong number of arguments for 'wasm.slowlog|get' command");
      let count = 10;
      if (args.length === 3) {
        count = integer(args[2]);
        if (count < -1) throw new CommandError("ERR count should be greater than or equal to -1");
      }
      const entries = await c.server.observe.store.slowlog.get(count);
      return entries.map((e) => [e.id, e.time, e.duration_us, e.args, e.addr, e.name]);
    },
  },
  { name: "len", arity: 2, summary: "How many entries the slow log holds.", handler: (c) => c.server.observe.store.slowlog.len() },
  {
    name: "reset",
    arity: 2,
    summary: "Empties the slow log.",
    async handler(c) {
      await c.server.observe.store.slowlog.reset();
      return OK;
    },
  },
];

/**
 * Records hold call arguments and the data calls read: a server with a password has every client
 * authenticate before any command; one without answers only clients on this machine.
 */
export function mayReadRecords(authRequired: boolean, addr: string): boolean {
  if (authRequired) return true;
  const host = addr.slice(0, addr.lastIndexOf(":")).replace(/^::ffff:/, "");
  return host === "::1" || /^127\./.test(host);
}

function checkRecordsReadable(c: Client): void {
  if (mayReadRecords(c.server.auth.required, c.addr)) return;
  throw new CommandError(
    "NOPERM WASM.FAILURES holds call arguments and the data calls read: on a server without a password it answers only clients on this machine; set requirepass (or users) to read it from elsewhere",
  );
}

const FAILURES_SUBCOMMANDS: SubcommandSpec[] = [
  {
    name: "list",
    arity: -2,
    summary: "LIST [<function>]: the failed calls kept, newest first, as JSON (id, function, version, time, code, error, bytes).",
    async handler(c, args) {
      if (args.length > 3) throw new CommandError("ERR wrong number of arguments for 'wasm.failures|list' command");
      checkRecordsReadable(c);
      return JSON.stringify(await c.server.observe.store.failures.list(args.length === 3 ? text(args[2]) : undefined));
    },
  },
  {
    name: "get",
    arity: -3,
    summary: "GET <function> [<id>]: one failed call's record as JSON (default: the function's newest), or nil.",
    async handler(c, args) {
      if (args.length > 4) throw new CommandError("ERR wrong number of arguments for 'wasm.failures|get' command");
      checkRecordsReadable(c);
      return c.server.observe.store.failures.get(text(args[2]), args.length === 4 ? text(args[3]) : undefined);
    },
  },
  {
    name: "reset",
    arity: -2,
    summary: "RESET [<function>]: forgets the kept failed calls; replies how many.",
    async handler(c, args) {
      if (args.length > 3) throw new CommandError("ERR wrong number of arguments for 'wasm.failures|reset' command");
      return c.server.observe.store.failures.reset(args.length === 3 ? text(args[2]) : undefined);
    },
  },
];

function dump(c: Client, args: Buffer[]): Reply {
  const name = text(args[1]);
  let version: number | undefined;
  let sourceMap = false;
  for (let i = 2; i < args.length; i++) {
    const raw = text(args[i]);
    if (keyword(args[i]) === "SOURCEMAP") sourceMap = true;
    else if (version === undefined && /^v?[1-9][0-9]{0,8}$/i.test(raw)) version = Number(raw.replace(/^v/i, ""));
    else throw syntaxError(`unexpected '${clip(raw)}' in WASM.DUMP; expected a version number or SOURCEMAP`);
  }
  const { versions } = c.server.functions;
  const all = versions.snapshot(name);
  if (!all) throw errors.unknownFunction(clip(name));
  const wanted = version ?? all.active;
  const v = all.versions.find((x) => x.version === wanted);
  if (!v) throw new CommandError(`ERR function '${clip(name)}' has no version ${wanted} (kept: ${all.versions.map((x) => x.version).join(", ")})`);
  const module = versions.module(v.sha256);
  if (!module) throw new CommandError(`ERR the module of '${clip(name)}' version ${wanted} is no longer kept`);
  return sourceMap ? (module.sourceMap ?? null) : module.bytes;
}

export const WASM_OBSERVE_COMMANDS: CommandSpec[] = [
  {
    name: "wasm.logs",
    arity: -1,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-observe", "admin", "dangerous"], // they show user data: not for plain callers
    group: "wasm",
    summary: "Functions' log lines and call events, oldest first: the newest COUNT, or those after SINCE; BLOCK waits for new ones.",
    handler(c, args) {
      const req = parseLogs(c, args);
      // Inside EXEC nothing may wait (other clients are held off): BLOCK answers at once, as XREAD BLOCK does in Redis.
      if (req.block === null || c.tx.active) {
        const batch = c.server.observe.store.logs.read(req.query);
        return batch instanceof Promise ? batch.then((b) => batchReply(b, req.query.after)) : batchReply(batch, req.query.after);
      }
      return blockingLogs(c, req);
    },
  },
  {
    name: "wasm.slowlog",
    arity: -2,
    flags: ["admin", "wasm"],
    acl: ["wasm", "wasm-observe", "admin", "dangerous"], // they show user data: not for plain callers
    group: "wasm",
    summary: "WASM.SLOWLOG GET [n] | LEN | RESET: calls slower than slowlog-log-slower-than, as Redis's SLOWLOG.",
    subcommands: SLOWLOG_SUBCOMMANDS,
    handler: withSubcommands("wasm.slowlog", SLOWLOG_SUBCOMMANDS),
  },
  {
    name: "wasm.failures",
    arity: -2,
    flags: ["admin", "wasm"],
    acl: ["wasm", "wasm-observe", "admin", "dangerous"], // they show user data: not for plain callers
    group: "wasm",
    summary: "WASM.FAILURES LIST [fn] | GET fn [id] | RESET [fn]: the flight recorder's failed calls, for `ferrite-wasm replay`.",
    subcommands: FAILURES_SUBCOMMANDS,
    handler: withSubcommands("wasm.failures", FAILURES_SUBCOMMANDS),
  },
  {
    name: "wasm.dump",
    arity: -2,
    maxArgs: 4,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-observe", "admin", "dangerous"], // they show user data: not for plain callers
    group: "wasm",
    summary: "A kept version's module bytes (default: the active one); with SOURCEMAP its source map, or nil.",
    handler: dump,
  },
];

