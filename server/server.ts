// startServer: a RESP server around the runtime. Listens on 127.0.0.1 unless told otherwise, restores
// persisted functions, and closes cleanly (connections, pending saves, the Redis store).
import { readFile } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { parseConfig } from "./config/load.js";
import { bytesOf, MEMORY_BUDGET_DEFAULT, parseOutputLimit, type ConfigInput, type FerriteConfig } from "./config/schema.js";
import { type CallResult, FerriteError, type LogEntry, type Runtime, type RuntimeOptions, type Store, createRuntime } from "../runtime-sim/index.js";
import { HttpBridge } from "../runtime-sim/host.js";
import type { Keyspace } from "./store/keyspace.js";
import { RedisStore } from "./store/redis-store.js";
import { MemoryDatabases } from "./store/databases.js";
import { StoreLink } from "./store/link.js";
import { Watches } from "./store/watch.js";
import { Auth } from "./auth.js";
import { COMMANDS } from "./commands/index.js";
import type { Client, Databases, Logger, LogLevel, ServerContext, ServerStats } from "./context.js";
import { Exclusive } from "./multi.js";
import { Functions } from "./functions.js";
import { DataDir } from "./persist.js";
import { Connection } from "./socket.js";
import { Triggers, type TriggerDef } from "./triggers.js";
import { Observability, serveMetrics, type MetricsServer, type ObservabilitySettings } from "./observability/index.js";
import { SharedRegistry } from "./store/registry.js";
import { SharedAcl } from "./store/acl-store.js";
import { closeConnectionsOf } from "./commands/acl.js";

export interface ServerOptions {
  /** The configuration, same shape as ferrite.toml; validated here. Default: the spec's defaults. */
  config?: ConfigInput | FerriteConfig;
  /** Receives log lines: start-up, warnings, functions' ferrite_log output. Default: silent. */
  log?: Logger;
  /** Sees every WASM.CALL/CALLREAD's result, after the call (ferrite-wasm dev). */
  onCall?: (name: string, result: CallResult) => void;
  /** Runtime hooks (tests, the CLI): clock, random source, HTTP handler (default: fetch, for allow-listed hosts). */
  runtime?: Pick<RuntimeOptions, "clock" | "random" | "http">;
}

export interface FerriteServer {
  readonly host: string;
  /** The plain TCP port; the TLS port when plain TCP is off (port = 0 with tls_port). */
  readonly port: number;
  /** redis://host:port, for clients (rediss:// when only TLS is served). */
  readonly url: string;
  /** The TLS port, when [server] tls_port is set. */
  readonly tlsPort: number | null;
  /** The runtime behind WASM.* (for tests and embedding). */
  readonly runtime: Runtime;
  /** http://host:port/metrics when [server] metrics_port is set, else null. */
  readonly metricsUrl: string | null;
  readonly keyspace: Keyspace;
  /** Stops accepting, closes connections, waits for pending saves, disconnects the store. */
  close(): Promise<void>;
}

/** Why the server could not start; `message` says what to change. */
export class ServerStartError extends FerriteError<"ERR_SERVER_START"> {
  constructor(message: string, cause?: unknown) {
    super("ERR_SERVER_START", message, null, {}, cause);
    this.name = "ServerStartError [ERR_SERVER_START]";
  }
}

const LEVELS: Record<LogEntry["level"], LogLevel> = { trace: "debug", debug: "debug", info: "info", warn: "warn", error: "error" };

export async function startServer(options: ServerOptions = {}): Promise<FerriteServer> {
  const config = parseConfig(options.config ?? {});
  const log: Logger = options.log ?? (() => {});
  const clock = options.runtime?.clock ?? Date.now;

  let store: Store | undefined;
  let keyspace: Keyspace;
  let redis: RedisStore | null = null;
  let link: StoreLink | null = null;
  let databases: Databases;
  const watches = new Watches();
  if (config.server.store === "memory") {
    const memory = new MemoryDatabases(config.server.databases, watches, clock);
    databases = memory;
    store = memory.store(0);
    keyspace = memory.keyspace(0);
  } else {
    try {
      redis = await RedisStore.connect({ url: config.server.store, timeoutMs: config.server.store_timeout_ms });
      link = await StoreLink.connect({ url: config.server.store, where: redis.where, timeoutMs: config.server.store_timeout_ms, connectTimeoutMs: 3000 });
    } catch (e) {
      await redis?.close();
      throw new ServerStartError((e as Error).message, e);
    }
    keyspace = redis.keyspace;
    databases = redisDatabases(redis, link);
  }
  // Users' rules may name the store's own commands (+hset) once a Redis store is there.
  const storeCommands = link?.commands;
  let auth: Auth;
  try {
    auth = new Auth(config.server, { has: (name) => COMMANDS.has(name) || (storeCommands?.has(name) ?? false) });
  } catch (e) {
    link?.close();
    await redis?.close();
    throw e;
  }

  // ferrite_http goes to the real network through fetch unless a handler (a test's mock) is given.
  let registry: SharedRegistry | null = null;
  let acl: SharedAcl | null = null;
  const bridge = options.runtime?.http || config.wasm.http_allowed_hosts.length === 0 ? null : new HttpBridge();
  try {
    const runtime = createRuntime({
      ...options.runtime,
      http: options.runtime?.http ?? bridge?.handler,
      httpAsync: options.runtime?.http ? undefined : bridge?.asyncHandler,
      store,
      asyncStore: redis ?? undefined,
      pluginsDir: config.wasm.plugins_dir,
      maxFunctions: config.wasm.max_functions,
      memoryBudget: config.wasm.memory_budget ?? MEMORY_BUDGET_DEFAULT,
      maxModuleSize: config.wasm.max_module_size,
      maxModuleFunctions: config.wasm.max_module_functions,
      // Prepared code decides whether metering runs: only the server's own data_dir is trusted.
      cache: config.server.data_dir ? DataDir.preparedDir(config.server.data_dir) : false,
      allowedCapabilities: config.wasm.capabilities.allowed,
      httpAllowedHosts: config.wasm.http_allowed_hosts,
      defaults: {
        memoryLimit: config.wasm.default_memory_limit,
        timeoutMs: config.wasm.default_timeout_ms,
        capabilities: config.wasm.capabilities.default,
      },
      onLog: (e) => log(LEVELS[e.level], `[${e.function}] ${e.message}`),
    });
    // Over a Redis store the registry lives in the store (shared by every server over it).
    if (redis && config.server.data_dir) log("info", `functions and triggers are kept in the store at ${redis.where}; data_dir is not used for them`);
    const dataDir = config.server.data_dir && !redis ? await DataDir.open(config.server.data_dir).catch((e) => {
      throw new ServerStartError((e as Error).message, e);
    }) : null;
    const functions = new Functions(runtime, dataDir, log);
    const observe = new Observability({
      settings: observabilitySettings(config),
      clock,
      versionOf: (fn) => functions.versions.active(fn)?.version ?? null,
    });
    functions.onDeploy = (kind, code) => observe.deployed(kind, code);
    const restored = await functions.restore().catch((e) => {
      throw new ServerStartError(`cannot restore functions: ${(e as Error).message}`, e);
    });
    if (restored > 0) log("info", `restored ${restored} function(s) from ${dataDir!.dir}`);
    // Over a Redis store the ACL users live in the store too: every server enforces the same ones.
    if (redis) {
      acl = new SharedAcl(redis, log);
      const shared = acl;
      await auth.share(shared, log).catch((e) => {
        throw new ServerStartError(`cannot read the ACL users from the store at ${redis!.where}: ${(e as Error).message}; check that it is running and that {ferrite-wasm}:acl there is a hash (docs/scale.md)`, e);
      });
      shared.follow(() => void auth.reconcile().catch((e) => log("warn", `could not follow an ACL user change: ${(e as Error).message}; retrying at the next change or in a second`)));
    }
    registry = redis ? new SharedRegistry(redis, log) : null;
    const shared = registry;
    const save = shared ? (defs: TriggerDef[]) => shared.saveTriggers(defs) : dataDir ? (defs: TriggerDef[]) => dataDir.writeTriggers(defs) : null;
    const triggers = new Triggers(runtime, keyspace, save, log, clock, observe);
    if (shared) {
      try {
        const n = await functions.share(shared);
        triggers.restore(await shared.triggers());
        if (n > 0) log("info", `serving ${n} function(s) from the store at ${redis!.where}`);
      } catch (e) {
        throw new ServerStartError(`cannot read the function registry from the store at ${redis!.where}: ${(e as Error).message}`, e);
      }
      const sync = async () => {
        if (await functions.reconcile()) await shared.saveTriggers(triggers.definitions(), true);
        triggers.sync(await shared.triggers());
      };
      shared.follow(() => void sync().catch((e) => log("warn", `could not follow a registry change: ${(e as Error).message}; retrying at the next change or in a second`)));
    }
    if (dataDir) {
      const defs = await dataDir.readTriggers().catch((e) => {
        throw new ServerStartError(`cannot restore triggers: ${(e as Error).message}`, e);
      });
      triggers.restore(defs);
      if (defs.length > 0) log("info", `restored ${defs.length} trigger(s) from ${dataDir.dir}`);
    }
    return await listen(config, { auth, runtime, functions, triggers, keyspace, observe, databases, link, watches, log, redis, registry, acl, bridge, onCall: options.onCall });
  } catch (e) {
    await acl?.close();
    await registry?.close();
    await bridge?.close();
    link?.close();
    await redis?.close();
    throw e;
  }
}

/** A Redis store's databases: functions reach database n through the bridge; key commands through the link. */
function redisDatabases(redis: RedisStore, link: StoreLink): Databases {
  return {
    kind: "redis",
    count: link.databases,
    home: link.baseDb,
    keyspace(db) {
      if (db === link.baseDb) return redis.keyspace;
      // Key commands in other databases are passed through the link (native); nothing asks for this.
      throw new Error(`no keyspace object for database ${db} of the store; key commands go to the store as they are`);
    },
    store: (db) => (db === link.baseDb ? redis : redis.database(db)),
  };
}

interface Parts {
  auth: Auth;
  runtime: Runtime;
  functions: Functions;
  triggers: Triggers;
  keyspace: Keyspace;
  observe: Observability;
  databases: Databases;
  link: StoreLink | null;
  watches: Watches;
  log: Logger;
  redis: RedisStore | null;
  registry: SharedRegistry | null;
  acl: SharedAcl | null;
  bridge: HttpBridge | null;
  onCall?: (name: string, result: CallResult) => void;
}

async function listen(config: FerriteConfig, parts: Parts): Promise<FerriteServer> {
  const clients = new Set<Connection>();
  const stats: ServerStats = {
    connectionsReceived: 0,
    commandsProcessed: 0,
    protocolErrors: 0,
    authFailures: 0,
    outputLimitDisconnections: 0,
    queryLimitDisconnections: 0,
  };
  const srv = config.server;
  const tlsOn = srv.tls_port !== undefined;
  // Redis's rule: port 0 turns plain TCP off when TLS is served; otherwise it picks a free port.
  const plain = tlsOn && srv.port === 0 ? null : net.createServer({ noDelay: true, keepAlive: true });
  const secure = tlsOn ? tls.createServer(await tlsOptions(config)) : null;
  const first = (plain ?? secure)!;
  const context: ServerContext = {
    config,
    runtime: parts.runtime,
    functions: parts.functions,
    triggers: parts.triggers,
    keyspace: parts.keyspace,
    observe: parts.observe,
    databases: parts.databases,
    store: parts.link,
    watches: parts.watches,
    monitors: new Set<Client>(),
    exclusive: new Exclusive(),
    auth: parts.auth,
    settings: {
      maxBulkLen: bytesOf(config.server.max_bulk_len),
      queryLimit: bytesOf(config.server.client_query_buffer_limit),
      outputLimit: parseOutputLimit(config.server.client_output_buffer_limit),
    },
    stats,
    clients,
    startedAt: Date.now(),
    address: () => {
      const a = first.address() as AddressInfo | null;
      return { host: a?.address ?? config.server.bind, port: a?.port ?? config.server.port };
    },
    log: parts.log,
    onCall: parts.onCall,
  };

  // A user removed on another server: its connections here are closed too.
  parts.auth.onRemoved = (user) => closeConnectionsOf(clients, user);

  const accept = (socket: net.Socket) => {
    stats.connectionsReceived++;
    clients.add(new Connection(socket, context, (c) => clients.delete(c)));
  };
  plain?.on("connection", accept);
  if (secure) {
    secure.on("secureConnection", (socket: tls.TLSSocket) => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true);
      // "optional": a client that shows a certificate must show a valid one.
      if (srv.tls_auth_clients === "optional" && !socket.authorized && socket.getPeerCertificate()?.raw) {
        parts.log("warn", `TLS client ${socket.remoteAddress}:${socket.remotePort} refused: ${socket.authorizationError}`);
        socket.destroy();
        return;
      }
      accept(socket);
    });
    secure.on("tlsClientError", (e, socket) => {
      parts.log("debug", `TLS handshake with ${socket.remoteAddress ?? "a client"} failed: ${e.message}`);
    });
  }

  const bound: net.Server[] = [];
  try {
    if (plain) await bind(plain, config, srv.port);
    bound.push(...(plain ? [plain] : []));
    if (secure) await bind(secure, config, srv.tls_port!);
  } catch (e) {
    for (const l of bound) l.close();
    throw e;
  }
  for (const l of [plain, secure]) l?.on("error", (e) => parts.log("error", `listener error: ${e.message}`));

  let metrics: MetricsServer | null = null;
  if (config.server.metrics_port !== undefined) {
    try {
      metrics = await serveMetrics(metricsSources(parts), config.server.metrics_bind, config.server.metrics_port);
    } catch (e) {
      for (const l of [plain, secure]) l?.close();
      const err = e as NodeJS.ErrnoException;
      const where = `${config.server.metrics_bind}:${config.server.metrics_port}`;
      const why = err.code === "EADDRINUSE" ? "that port is in use; choose another ([server] metrics_port, --metrics-port)" : `${err.message}; check [server] metrics_bind and metrics_port`;
      throw new ServerStartError(`cannot serve metrics on ${where}: ${why}`, e);
    }
    parts.observe.metricsPort = Number(new URL(metrics.url).port);
  }

  const { host, port } = context.address();
  const tlsPort = secure ? (secure.address() as AddressInfo).port : null;
  const where = [plain ? `${host}:${port}` : null, secure ? `${host}:${tlsPort} (TLS)` : null].filter(Boolean).join(" and ");
  parts.log("info", `ferrite-wasm listening on ${where} (store: ${parts.keyspace.kind})`);
  if (metrics) parts.log("info", `Prometheus metrics at ${metrics.url}`);
  if (config.server.bind !== "127.0.0.1" && config.server.bind !== "::1" && config.server.bind !== "localhost" && !context.auth.required) {
    parts.log("warn", `listening on ${config.server.bind} without a password: anyone who can reach it can load and run code; set [server] requirepass`);
  }
  if (config.server.users.length > 0 && !context.auth.required) {
    parts.log("warn", "users are configured but the default user needs no password, so clients that do not AUTH run as default with every permission; set requirepass or add a user named default with rules = \"off\"");
  }

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    tlsPort,
    url: `${plain ? "redis" : "rediss"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    runtime: parts.runtime,
    keyspace: parts.keyspace,
    metricsUrl: metrics?.url ?? null,
    close() {
      closing ??= (async () => {
        const stopped = [plain, secure].map((l) => (l ? new Promise<void>((resolve) => l.close(() => resolve())) : null));
        for (const c of clients) c.shutdown();
        await parts.observe.close(); // ends blocked WASM.LOGS waits
        await metrics?.close();
        await Promise.all(stopped);
        await parts.functions.idle();
        await parts.triggers.idle();
        await parts.registry?.close();
        await parts.acl?.close();
        parts.link?.close();
        await parts.redis?.close();
        await parts.bridge?.close();
      })();
      return closing;
    },
  };
}

function observabilitySettings(config: FerriteConfig): ObservabilitySettings {
  const s = config.server;
  return {
    slowlogLogSlowerThan: s.slowlog_log_slower_than,
    slowlogMaxLen: s.slowlog_max_len,
    logsMaxLen: s.logs_max_len,
    recorderMaxLen: s.flight_recorder_max_len,
    recorderMaxBytes: bytesOf(s.flight_recorder_max_bytes),
  };
}

function metricsSources(parts: Parts) {
  return {
    calls: parts.observe.calls,
    *memory(): Generator<[string, number]> {
      for (const [fn, s] of Object.entries(parts.runtime.stats().functions)) yield [fn, s.memory_used_bytes];
    },
    functionsLoaded: () => parts.runtime.list().length,
    store: () => parts.redis?.metrics ?? null,
  };
}

function bind(listener: net.Server, config: FerriteConfig, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const where = `${config.server.bind}:${port}`;
      const key = listener instanceof tls.Server ? "tls_port" : "port";
      const why =
        e.code === "EADDRINUSE"
          ? `${where} is already in use; stop the other server or choose another port ([server] ${key}${key === "port" ? ", --port" : ""})`
          : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND"
            ? `${config.server.bind} is not an address of this machine; fix [server] bind`
            : `${e.message}; check [server] bind and ${key}`;
      reject(new ServerStartError(`cannot listen on ${where}: ${why}`, e));
    };
    listener.once("error", onError);
    listener.listen({ host: config.server.bind, port }, () => {
      listener.off("error", onError);
      resolve();
    });
  });
}

/** The TLS port's certificate, key and client-certificate rule, read at start. */
async function tlsOptions(config: FerriteConfig): Promise<tls.TlsOptions> {
  const srv = config.server;
  const read = (key: "tls_cert_file" | "tls_key_file" | "tls_ca_cert_file") =>
    readFile(srv[key]!).catch((e: NodeJS.ErrnoException) => {
      throw new ServerStartError(`cannot read [server] ${key} ${srv[key]}: ${e.code === "ENOENT" ? "no such file" : e.message}; give a PEM file`, e);
    });
  const [cert, key, ca] = await Promise.all([read("tls_cert_file"), read("tls_key_file"), srv.tls_ca_cert_file ? read("tls_ca_cert_file") : undefined]);
  const options: tls.TlsOptions = {
    cert,
    key,
    ca,
    requestCert: srv.tls_auth_clients !== "no",
    rejectUnauthorized: srv.tls_auth_clients === "yes",
  };
  try {
    tls.createSecureContext(options); // a key that does not match its certificate fails here, not at the first client
  } catch (e) {
    throw new ServerStartError(`[server] TLS files cannot be used (${(e as Error).message}); check that tls_key_file is the key of tls_cert_file and both are PEM`, e);
  }
  return options;
}
