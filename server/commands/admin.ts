// INFO [section ...] and CONFIG GET/SET/RESETSTAT. Settings fixed at start are readable, and
// CONFIG SET says they are immutable; requirepass and proto-max-bulk-len change live.
import os from "node:os";
import { parseMemoryLimit } from "../../runtime-sim/index.js";
import { DEFAULTS, globMatch, humanBytes } from "../../runtime-sim/host.js";
import { redactUrl } from "../store/redis-store.js";
import { MemoryDatabases } from "../store/databases.js";
import { parseOutputLimit, redisBytes } from "../config/schema.js";
import type { ServerContext } from "../context.js";
import { OBSERVABILITY_PARAMS } from "../observability/index.js";
import { CommandError, MapReply, OK, type Reply } from "../resp.js";
import { REDIS_COMPAT_VERSION, serverVersion } from "../version.js";
import { after } from "./args.js";
import { withSubcommands, type CommandSpec, type SubcommandSpec } from "./registry.js";

type Section = [title: string, fields: Record<string, string | number>];

function sections(s: ServerContext, keyspace: Record<string, string>): Record<string, Section> {
  const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
  const mem = process.memoryUsage();
  const totals = s.runtime.stats().totals;
  return {
    server: ["Server", {
      redis_version: REDIS_COMPAT_VERSION, // for clients that gate features on it
      ferrite_wasm_version: serverVersion(),
      redis_mode: "standalone",
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      arch_bits: process.arch.endsWith("64") ? 64 : 32,
      process_id: process.pid,
      node_version: process.versions.node,
      tcp_port: s.address().port,
      uptime_in_seconds: uptime,
      uptime_in_days: Math.floor(uptime / 86400),
    }],
    clients: ["Clients", { connected_clients: s.clients.size, blocked_clients: 0, watching_clients: watching(s), tracking_clients: 0 }],
    memory: ["Memory", {
      used_memory: mem.heapUsed,
      used_memory_human: humanBytes(mem.heapUsed),
      used_memory_rss: mem.rss,
      used_memory_rss_human: humanBytes(mem.rss),
    }],
    persistence: ["Persistence", {
      loading: 0,
      data_dir: s.config.server.data_dir ?? "",
      functions_persisted: s.functions.dataDir ? 1 : 0,
    }],
    stats: ["Stats", {
      total_connections_received: s.stats.connectionsReceived,
      total_commands_processed: s.stats.commandsProcessed,
      protocol_errors: s.stats.protocolErrors,
      auth_failures: s.stats.authFailures,
      client_query_buffer_limit_disconnections: s.stats.queryLimitDisconnections,
      client_output_buffer_limit_disconnections: s.stats.outputLimitDisconnections,
    }],
    wasm: ["Wasm", {
      wasm_enabled: s.config.wasm.enabled ? 1 : 0,
      wasm_functions: totals.functions,
      wasm_max_functions: s.config.wasm.max_functions,
      wasm_invocations: totals.invocations,
      wasm_successful: totals.successful,
      wasm_failed: totals.failed,
      wasm_timeouts: totals.timeouts,
      wasm_store: s.keyspace.kind === "memory" ? "memory" : redactUrl(s.config.server.store),
    }],
    keyspace: ["Keyspace", keyspace],
  };
}

function watching(s: ServerContext): number {
  let n = 0;
  for (const c of s.clients) if (c.tx.watched.length > 0 || c.tx.storeWatching) n++;
  return n;
}

/** INFO keyspace's lines: each database holding keys (the store's own with a Redis store). */
function keyspaceLines(s: ServerContext): Record<string, string> | Promise<Record<string, string>> {
  const dbs = s.databases;
  if (!(dbs instanceof MemoryDatabases)) return s.store ? s.store.keyspaceLines().catch(() => ({})) : {};
  const out: Record<string, string> = {};
  for (const [db, ks] of dbs.used()) {
    const { keys, expires } = ks.info();
    out[`db${db}`] = `keys=${keys},expires=${expires},avg_ttl=0`;
  }
  return out;
}

function info(s: ServerContext, wanted: string[]): Reply | Promise<Reply> {
  const all = wanted.length === 0 || wanted.some((w) => w === "all" || w === "default" || w === "everything");
  const needKeyspace = all || wanted.includes("keyspace");
  return after(needKeyspace ? keyspaceLines(s) : {}, (ks) => {
    const out: string[] = [];
    for (const [name, [title, fields]] of Object.entries(sections(s, ks))) {
      if (!all && !wanted.includes(name)) continue;
      out.push(`# ${title}\r\n${Object.entries(fields).map(([k, v]) => `${k}:${v}\r\n`).join("")}`);
    }
    return out.join("\r\n");
  });
}

interface Param {
  get(s: ServerContext): string;
  /** Absent: the setting is fixed at start. */
  set?(s: ServerContext, value: string): void;
}

const fixed = (value: string): Param => ({ get: () => value });
const list = (items: readonly string[]) => items.join(" ");

const PARAMS: Record<string, Param> = {
  bind: { get: (s) => s.config.server.bind },
  port: { get: (s) => String(s.address().port) },
  requirepass: { get: (s) => s.auth.requirepass, set: (s, v) => s.auth.setRequirePass(v || null) },
  "proto-max-bulk-len": {
    get: (s) => String(s.settings.maxBulkLen),
    set(s, v) {
      const n = /^[0-9]+$/.test(v) ? Number(v) : parseMemoryLimit(v);
      if (!Number.isSafeInteger(n) || n < 1024 * 1024) throw new Error("argument must be a memory value of at least 1mb");
      if (n > s.settings.queryLimit) throw new Error("it must be at most client-query-buffer-limit, or a request with the largest argument could never arrive");
      s.settings.maxBulkLen = n;
    },
  },
  databases: { get: (s) => String(s.databases.count) },
  "client-query-buffer-limit": {
    get: (s) => String(s.settings.queryLimit),
    set(s, v) {
      const n = redisBytes(v, "client-query-buffer-limit");
      if (n < 1024 * 1024) throw new Error("argument must be a memory value of at least 1mb");
      if (n < s.settings.maxBulkLen) throw new Error("it must be at least proto-max-bulk-len, or a request with the largest argument could never arrive");
      s.settings.queryLimit = n;
    },
  },
  "client-output-buffer-limit": {
    get: (s) => {
      const o = s.settings.outputLimit;
      return `normal ${o.hard} ${o.soft} ${o.softSeconds}`;
    },
    set(s, v) {
      s.settings.outputLimit = parseOutputLimit(v);
    },
  },
  save: fixed(""),
  appendonly: fixed("no"),
  timeout: fixed("0"),
  maxmemory: fixed("0"),
  dir: { get: (s) => s.config.server.data_dir ?? process.cwd() },
  "data-dir": { get: (s) => s.config.server.data_dir ?? "" },
  store: { get: (s) => redactUrl(s.config.server.store) },
  "wasm-enabled": { get: (s) => (s.config.wasm.enabled ? "yes" : "no") },
  "wasm-plugins-dir": { get: (s) => s.config.wasm.plugins_dir },
  "wasm-max-functions": { get: (s) => String(s.config.wasm.max_functions) },
  "wasm-max-module-size": { get: (s) => String(s.config.wasm.max_module_size ?? DEFAULTS.maxModuleSize) },
  "wasm-max-module-functions": { get: (s) => String(s.config.wasm.max_module_functions ?? DEFAULTS.maxModuleFunctions) },
  "wasm-default-memory-limit": { get: (s) => String(s.config.wasm.default_memory_limit) },
  "wasm-default-timeout-ms": { get: (s) => String(s.config.wasm.default_timeout_ms) },
  "wasm-sandbox": fixed("yes"),
  "wasm-capabilities-default": { get: (s) => list(s.config.wasm.capabilities.default) },
  "wasm-capabilities-allowed": { get: (s) => list(s.config.wasm.capabilities.allowed) },
  "wasm-http-allowed-hosts": { get: (s) => list(s.config.wasm.http_allowed_hosts) },
  ...OBSERVABILITY_PARAMS,
};

const CONFIG_SUBCOMMANDS: SubcommandSpec[] = [
  {
    name: "get",
    arity: -3,
    summary: "Settings matching the glob patterns, as name/value pairs.",
    handler(c, args) {
      const found = new Map<string, string>();
      for (const arg of args.slice(2)) {
        const pattern = arg.toString("latin1").toLowerCase();
        for (const [name, p] of Object.entries(PARAMS)) if (globMatch(pattern, name)) found.set(name, p.get(c.server));
      }
      return new MapReply([...found]);
    },
  },
  {
    name: "set",
    arity: -4,
    summary: "CONFIG SET name value [name value ...]: requirepass, proto-max-bulk-len, client-query-buffer-limit, client-output-buffer-limit, slowlog-*, logs-max-len, flight-recorder-*.",
    handler(c, args) {
      if (args.length % 2 !== 0) throw new CommandError("ERR wrong number of arguments for 'config|set' command");
      const changes: [string, Param, string][] = [];
      for (let i = 2; i < args.length; i += 2) {
        const name = args[i].toString().toLowerCase();
        const p = PARAMS[name];
        if (!p) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${args[i].toString()}'`);
        if (!p.set) throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
        changes.push([name, p, args[i + 1].toString()]);
      }
      for (const [name, p, value] of changes) {
        try {
          p.set!(c.server, value);
        } catch (e) {
          throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${(e as Error).message}`);
        }
      }
      return OK;
    },
  },
  {
    name: "resetstat",
    arity: 2,
    summary: "Zeroes the server's counters.",
    handler(c) {
      const st = c.server.stats;
      st.commandsProcessed = st.connectionsReceived = st.protocolErrors = st.authFailures = 0;
      st.outputLimitDisconnections = st.queryLimitDisconnections = 0;
      return OK;
    },
  },
];

export const ADMIN_COMMANDS: CommandSpec[] = [
  {
    name: "info",
    arity: -1,
    flags: ["readonly"],
    acl: ["dangerous"],
    group: "server",
    summary: "INFO [server|clients|memory|persistence|stats|keyspace|wasm ...].",
    handler: (c, args) => info(c.server, args.slice(1).map((a) => a.toString().toLowerCase())),
  },
  {
    name: "config",
    arity: -2,
    flags: ["admin"],
    group: "server",
    summary: "CONFIG GET | SET | RESETSTAT.",
    subcommands: CONFIG_SUBCOMMANDS,
    handler: withSubcommands("config", CONFIG_SUBCOMMANDS),
  },
];
