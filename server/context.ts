// What command handlers may touch: the server they run in and the client that sent the command.
import type { CallResult, Runtime } from "../runtime-sim/index.js";
import type { FerriteConfig } from "./config/schema.js";
import type { Keyspace } from "./store/keyspace.js";
import type { Auth } from "./auth.js";
import type { AclUser } from "./acl/user.js";
import type { Functions } from "./functions.js";
import type { Protocol } from "./resp.js";
import type { Triggers } from "./triggers.js";
import type { Observability } from "./observability/index.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string) => void;

export interface ServerStats {
  connectionsReceived: number;
  commandsProcessed: number;
  protocolErrors: number;
  authFailures: number;
}

/** Settings CONFIG SET may change while the server runs. */
export interface LiveSettings {
  maxBulkLen: number;
}

export interface ServerContext {
  /** The configuration the server was started with. */
  readonly config: FerriteConfig;
  readonly runtime: Runtime;
  readonly functions: Functions;
  readonly triggers: Triggers;
  readonly keyspace: Keyspace;
  /** Logs, slow log, flight recorder and metrics. */
  readonly observe: Observability;
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

/** One connection's state, as handlers see it. */
export interface Client {
  readonly id: number;
  readonly server: ServerContext;
  /** "ip:port" of the peer. */
  readonly addr: string;
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
  /** Closes the connection once the current reply has been written (QUIT). */
  closeAfterReply(): void;
  /** True once the connection is closed or closing (a blocked command may stop waiting). */
  readonly closed: boolean;
  /** Sends what is pending and closes (server shutdown, ACL DELUSER of its user). */
  shutdown(): void;
}
