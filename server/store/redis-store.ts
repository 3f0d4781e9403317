// `store = "redis://..."`: functions read and write a real Redis-compatible server. The Store
// interface is synchronous (host functions answer before the guest goes on), so reads and the
// commit go through SyncBridge; a successful call's writes land in one MULTI/EXEC, a failed call
// sends nothing. The server's key commands use RedisKeyspace, an ordinary async connection.
import { FerriteError, type KeyWrite, type Store } from "../../runtime-sim/index.js";
import type { WaitBudget } from "../../runtime-sim/host.js";
import { BridgeError, SyncBridge } from "./redis-bridge.js";
import { RedisKeyspace } from "./redis-keyspace.js";

export interface RedisStoreOptions {
  /** redis://[user:pass@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** The longest a function's read or commit waits for Redis before its call fails; never longer
   * than the call's remaining time (TIMEOUT). Default 2000. */
  timeoutMs?: number;
  /** How long connecting may take at start-up. Default 3000. */
  connectTimeoutMs?: number;
}

export class RedisStore implements Store {
  readonly #bridge: SyncBridge;
  readonly #timeoutMs: number;
  /** The URL without its password, for messages. */
  readonly where: string;
  readonly keyspace: RedisKeyspace;
  /** Requests functions' reads and commits made, by operation (the metrics endpoint reads them). */
  readonly metrics = { roundTrips: { get: 0, exists: 0, apply: 0 } as Record<string, number>, conflicts: 0 };

  private constructor(options: RedisStoreOptions, bridge: SyncBridge, keyspace: RedisKeyspace) {
    this.#bridge = bridge;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.where = redactUrl(options.url);
    this.keyspace = keyspace;
  }

  /** Connects both connections; fails with a message naming the server and the fix. */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const where = redactUrl(options.url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    const bridge = new SyncBridge(options.url, connectTimeoutMs);
    const keyspace = new RedisKeyspace(options.url, where, connectTimeoutMs, options.timeoutMs ?? 2000);
    try {
      await Promise.all([bridge.requestAsync({ op: "connect" }, connectTimeoutMs + 500), keyspace.connect()]);
    } catch (e) {
      await Promise.allSettled([bridge.close(), keyspace.close()]);
      const reason = e instanceof Error ? e.message : String(e);
      throw new FerriteError(
        "ERR_STORE",
        `cannot reach the store at ${where} (${reason}); start that server, fix [server] store, or use store = "memory"`,
      );
    }
    return new RedisStore(options, bridge, keyspace);
  }

  readonly #databases = new Map<number, Store>();

  /** The store functions use when called from another database of the same server (SELECT n). */
  database(db: number): Store {
    let store = this.#databases.get(db);
    if (!store) {
      store = {
        get: (key, budget) => this.#request({ op: "get", key, db }, "ferrite_get", budget) as Uint8Array | null,
        exists: (key, budget) => (this.#request({ op: "exists", key, db }, "ferrite_exists", budget) as number) > 0,
        apply: (writes, budget) => void this.#request({ op: "apply", writes, db }, "the call's writes", budget),
      };
      this.#databases.set(db, store);
    }
    return store;
  }

  #request(message: Record<string, unknown>, what: string, budget: WaitBudget | undefined): unknown {
    this.metrics.roundTrips[message.op as string]++;
    // A wait never outlasts the call: past its remaining time the call fails with its timeout error.
    const timeoutMs = budget === undefined ? this.#timeoutMs : Math.min(this.#timeoutMs, Math.ceil(budget.remainingMs));
    if (timeoutMs <= 0) throw new FerriteError("ERR_STORE", `the call had no time left to wait for the store at ${this.where} (${what})`);
    try {
      return this.#bridge.request(message, timeoutMs);
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      if (e.isReply) throw new FerriteError("ERR_STORE", `the store at ${this.where} refused ${what}: ${e.message}`);
      const maybe = message.op === "apply" ? "; its writes may or may not have been applied" : "";
      throw new FerriteError("ERR_STORE", `the store at ${this.where} is unavailable for ${what} (${e.message})${maybe}; check that it is running`);
    }
  }

  get(key: Uint8Array, budget?: WaitBudget): Uint8Array | null {
    return this.#request({ op: "get", key }, "ferrite_get", budget) as Uint8Array | null;
  }

  exists(key: Uint8Array, budget?: WaitBudget): boolean {
    return (this.#request({ op: "exists", key }, "ferrite_exists", budget) as number) > 0;
  }

  apply(writes: readonly KeyWrite[], budget?: WaitBudget): void {
    this.#request({ op: "apply", writes }, "the call's writes", budget);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#bridge.close(), this.keyspace.close()]);
  }
}

/** redis://user:secret@host:6379/0 -> redis://user@host:6379/0 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}
