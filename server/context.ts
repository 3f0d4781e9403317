// What command handlers may touch: the server they run in and the client that sent the command.
import type { CallResult, Runtime, Store } from "../runtime-sim/index.js";
import type { AsyncStore } from "../runtime-sim/host.js";
import type { FerriteConfig, OutputLimit } from "./config/schema.js";
import type { Keyspace } from "./store/keyspace.js";
import type { Auth } from "./auth.js";
import type { AclUser } from "./acl/user.js";
import type { Functions } from "./functions.js";
import type { Protocol, Reply } from "./resp.js";
import type { Triggers } from "./triggers.js";
import type { Observability } from "./observability/index.js";
import type { Watches } from "./store/watch.js";
import type { ClientTransaction, Exclusive } from "./multi.js";
import type { StoreLink } from "./store/link.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string) => void;

export interface ServerStats {
  connectionsReceived: number;
  commandsProcessed: number;
  protocolErrors: number;
  authFailures: number;
  /** Clients closed for passing client_output_buffer_limit (Redis: client_output_buffer_limit_disconnections). */
  outputLimitDisconnections: number;
  /** Clients closed for passing client_query_buffer_limit (Redis: client_query_buffer_limit_disconnections). */
  queryLimitDisconnections: number;
}

/** Settings CONFIG SET may change while the server runs. */
export interface LiveSettings {
  maxBulkLen: number;
  /** client-query-buffer-limit, bytes. */
  queryLimit: number;
  /** client-output-buffer-limit (normal class). */
  outputLimit: OutputLimit;
}

/** SELECT's databases: the embedded store's, or the Redis store's own. */
export interface Databases {
  readonly kind: "memory" | "redis";
  /** How many there are (SELECT 0..count-1). */
  readonly count: number;
  /** Where new clients start, and whose store the runtime uses by default (the URL's database). */
  readonly home: number;
  /** The keyspace key commands use in database `db`. */
  keyspace(db: number): Keyspace;
  /** The store functions read and write when called from database `db`. */
  store(db: number): Store | AsyncStore;
}

export interface ServerContext {
  /** The configuration the server was started with. */
  readonly config: FerriteConfig;
  readonly runtime: Runtime;
  readonly functions: Functions;
  readonly triggers: Triggers;
  /** Database 0's keyspace (the URL's database with a Redis store). */
  readonly keyspace: Keyspace;
  /** Logs, slow log, flight recorder and metrics. */
  readonly observe: Observability;
  readonly databases: Databases;
  /** With a Redis store: the raw connections commands are passed through. Null with the embedded store. */
  readonly store: StoreLink | null;
  readonly watches: Watches;
  /** Clients in MONITOR mode. */
  readonly monitors: Set<Client>;
  /** Held while an EXEC runs asynchronously: no other client's command starts until it is released. */
  readonly exclusive: Exclusive;
  readonly auth: Auth;
  readonly settings: LiveSettings;
  readonly stats: ServerStats;
  readonly clients: ReadonlySet<Client>;
  /** ms since epoch. */
  readonly startedAt: number;
  /** Where the listener is bound (port resolved when 0 was asked). */
  address(): { host: string; port: number };
  readonly log: Logger;
  /** Sees every WASM.CALL/CALLREAD's result (ferrite-wasm dev prints them). */
  readonly onCall?: (name: string, result: CallResult) => void;
}

/** CLIENT LIST's view of a connection's buffers, in bytes. */
export interface ClientBuffers {
  qbuf: number;
  qbufFree: number;
  argvMem: number;
  obl: number;
  oll: number;
  omem: number;
  reading: boolean;
  writing: boolean;
}

/** One connection's state, as handlers see it. */
export interface Client {
  readonly id: number;
  readonly server: ServerContext;
  /** "ip:port" of the peer. */
  readonly addr: string;
  /** "ip:port" of our end. */
  readonly laddr: string;
  /** The socket's file descriptor, -1 when unknown. */
  readonly fd: number;
  /** ms since epoch. */
  readonly createdAt: number;
  proto: Protocol;
  authenticated: boolean;
  /** The ACL user's name (CLIENT LIST, ACL WHOAMI). */
  user: string;
  /** The ACL user the commands run as (default until AUTH). */
  acl: AclUser;
  name: string | null;
  libName: string | null;
  libVer: string | null;
  /** Number of commands this client sent. */
  commands: number;
  /** The selected database (SELECT). */
  db: number;
  /** The selected database's keyspace. */
  readonly keyspace: Keyspace;
  /** The selected database's store, for functions this client calls. */
  readonly store: Store | AsyncStore;
  /** MULTI queue and WATCH state. */
  readonly tx: ClientTransaction;
  /** In MONITOR mode. */
  monitor: boolean;
  /** Last command run ("client|info"), for CLIENT LIST. */
  lastCommand: string;
  /** ms since epoch of the last command. */
  lastActive: number;
  buffers(): ClientBuffers;
  /** Runs one already-checked request now (EXEC). */
  run(args: Buffer[]): Reply | Promise<Reply>;
  /** Sends a MONITOR line to this client. */
  feed(line: string): void;
  /** Shows a command this client ran to the MONITOR clients. */
  showToMonitors(args: readonly Buffer[]): void;
  /** Closes the connection once the current reply has been written (QUIT). */
  closeAfterReply(): void;
  /** True once the connection is closed or closing (a blocked command may stop waiting). */
  readonly closed: boolean;
  /** Sends what is pending and closes (server shutdown, ACL DELUSER of its user). */
  shutdown(): void;
}
