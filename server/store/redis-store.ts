// `store = "redis://..."`: functions read and write a real Redis-compatible server (or a Redis
// Cluster, detected at connect) without ever blocking the event loop. The runtime's async call path
// (runtime-sim/store/async.ts) asks for one key at a time as a call needs it; commands issued in the
// same tick leave in one write (ioredis auto-pipelining), so concurrent calls share round trips.
// A call's commit is one Lua script: it compares every key the call read with what it saw and, only
// if all still match, applies the writes, atomically (serializable). WATCH/MULTI on pooled
// connections is the other way (commit = "watch"); bench/scale.ts measures both.
import { Cluster, Redis, type RedisOptions } from "ioredis";
import calculateSlot from "cluster-key-slot";
import { createHash } from "node:crypto";
import { FerriteError, type KeyWrite } from "../../runtime-sim/index.js";
import { FerriteReplyError, type AsyncStore, type ReadEntry } from "../../runtime-sim/host.js";
import { RedisKeyspace } from "./redis-keyspace.js";
import { urlDb } from "./link.js";
import { slotRanges, type SlotRange } from "./cluster-slots.js";

export { REGISTRY_PREFIX } from "./registry-keys.js";

export type CommitMode = "script" | "watch";

export interface RedisStoreOptions {
  /** redis://[user:pass@]host:port[/db] or rediss:// for TLS; any node of a cluster. */
  url: string;
  /** How long one read or commit waits for Redis (also bounded by the call's TIMEOUT). Default 2000. */
  timeoutMs?: number;
  /** How long connecting may take at start-up. Default 3000. */
  connectTimeoutMs?: number;
  /** How commits check reads: one Lua script (default) or WATCH/MULTI on pooled connections. */
  commit?: CommitMode;
}

/** Read values up to this size are compared as they are at commit; larger ones by SHA-1. */
const INLINE_COMPARE = 128;

// KEYS: the read keys, then the written keys. ARGV[1]: how many reads. Then per read what the call
// saw ("n" missing, "v"..value, "h"..sha1hex), then per write "s"..value or "d" (delete).
// Returns {1} when applied, or {0, current values of the read keys...} when a read key changed.
const COMMIT_LUA = `
local nr = tonumber(ARGV[1])
for i = 1, nr do
  local v = redis.call('GET', KEYS[i])
  local e = ARGV[i + 1]
  local kind = string.sub(e, 1, 1)
  local same
  if kind == 'n' then same = (v == false)
  elseif v == false then same = false
  elseif kind == 'v' then same = (v == string.sub(e, 2))
  else same = (redis.sha1hex(v) == string.sub(e, 2)) end
  if not same then
    local cur = {0}
    for j = 1, nr do cur[j + 1] = redis.call('GET', KEYS[j]) end
    return cur
  end
end
for i = nr + 1, #KEYS do
  local w = ARGV[i + 1]
  if w == 'd' then redis.call('DEL', KEYS[i]) else redis.call('SET', KEYS[i], string.sub(w, 2)) end
end
return {1}
`;

type Client = Redis | Cluster;
const COMMIT_SHA = createHash("sha1").update(COMMIT_LUA).digest("hex");
/** ioredis has these at run time but does not declare them (call/callBuffer lose their command name
 * under auto-pipelining, and a defined command's dynamic key count hides its slot from it). */
type ScriptCall = (script: string, numKeys: number, ...args: (Buffer | string)[]) => Promise<unknown>;
interface Scripting {
  evalshaBuffer: ScriptCall;
  evalBuffer: ScriptCall;
}

const buf = (u8: Uint8Array): Buffer => (Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));

export class RedisStore implements AsyncStore {
  readonly async = true;
  /** The URL without its password, for messages. */
  readonly where: string;
  readonly keyspace: RedisKeyspace;
  /** Requests functions' reads and commits made, and commits refused by a conflict (the metrics endpoint reads them). */
  readonly metrics: StoreMetrics;
  readonly #redis: Client;
  /** Other databases of the store (clients that ran SELECT n), made on first use. */
  readonly #databases = new Map<number, RedisStore>();
  /** A database's connection still being made (database()); null once it was tried. */
  #ready: Promise<void> | null = null;
  readonly #timeoutMs: number;
  readonly #pool: WatchPool | null;
  readonly #options: RedisStoreOptions;
  readonly #single: boolean;

  private constructor(
    options: RedisStoreOptions,
    redis: Client,
    keyspace: RedisKeyspace,
    readonly cluster: boolean,
    /** A one-node cluster reached through plain connections (see connect). */
    single = false,
    metrics?: StoreMetrics,
  ) {
    this.#options = options;
    this.#single = single;
    this.metrics = metrics ?? { roundTrips: { get: 0, apply: 0 }, conflicts: 0 };
    this.where = redactUrl(options.url);
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#redis = redis;
    this.keyspace = keyspace;
    this.#pool = options.commit === "watch" && !cluster ? new WatchPool(() => this.connection("ferrite-wasm:commit")) : null;
  }

  /**
   * Connects (detecting cluster mode); fails within connectTimeoutMs with a message naming the
   * server and the fix.
   */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const where = redactUrl(options.url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    const attempt: Attempt = { clients: [], over: false, cluster: false };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    try {
      return await Promise.race([RedisStore.#open(options, attempt), deadline]);
    } catch (e) {
      attempt.over = true;
      for (const c of attempt.clients) c.disconnect();
      if (e instanceof FerriteError) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      // A cluster whose nodes answer but whose client never got ready: its slot map is the suspect.
      const fix = attempt.cluster
        ? `check that CLUSTER INFO there says cluster_state:ok and that every address CLUSTER SLOTS gives is reachable from this server, fix [server] store, or use store = "memory"`
        : `start that server, fix [server] store, or use store = "memory"`;
      throw new FerriteError("ERR_STORE", `cannot reach the store at ${where} (${attempt.cluster ? `the Redis Cluster did not become ready: ${reason}` : reason}); ${fix}`);
    } finally {
      clearTimeout(timer);
    }
  }

  static async #open(options: RedisStoreOptions, attempt: Attempt): Promise<RedisStore> {
    const where = redactUrl(options.url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    const timeoutMs = options.timeoutMs ?? 2000;
    const keep = <C extends Client>(c: C): C => {
      c.on("error", () => {}); // reported per command
      attempt.clients.push(c);
      if (attempt.over) c.disconnect(); // the deadline passed while this one was being made
      return c;
    };
    const probe = keep(new Redis(options.url, clientOptions(connectTimeoutMs, timeoutMs, "ferrite-wasm:probe")));
    await probe.connect();
    // A server that hides INFO (rename-command) is taken for a single server.
    const cluster = /cluster_enabled:1/.test(await probe.info("cluster").catch(() => ""));
    attempt.cluster = cluster;
    const slots: unknown = cluster ? await probe.cluster("SLOTS").catch(() => null) : null;
    const single = cluster ? oneNode(where, slots === null ? null : slotRanges(slots, nodeOf(options.url).host)) : false;
    probe.disconnect();
    // A one-node cluster that does not know its own address (CLUSTER SLOTS gives an empty host:
    // "the node you asked") is one ioredis's Cluster skips, so it would never get ready. Every slot
    // is on that node, so a plain connection to it serves them all, with cluster rules (database 0,
    // a call's keys in one slot) kept.
    const viaCluster = cluster && !single;
    const make = (name: string, pipelined: boolean): Client =>
      keep(
        viaCluster
          ? new Cluster([nodeOf(options.url)], {
              lazyConnect: true,
              enableOfflineQueue: false,
              enableAutoPipelining: pipelined,
              redisOptions: { ...clientOptions(connectTimeoutMs, timeoutMs, name), ...credentials(options.url) },
              clusterRetryStrategy: (n: number) => Math.min(50 * n, 1000),
              slotsRefreshTimeout: connectTimeoutMs,
            })
          : new Redis(options.url, { ...clientOptions(connectTimeoutMs, timeoutMs, name), enableAutoPipelining: pipelined }),
      );
    const redis = make("ferrite-wasm:functions", true);
    const keys = make("ferrite-wasm:keys", false);
    await Promise.all([redis.connect(), keys.connect()]);
    await Promise.all([redis.ping(), keys.ping()]);
    return new RedisStore(options, redis, new RedisKeyspace(keys, where, viaCluster), cluster, single);
  }

  /** A new connection to the same store (a subscriber, a pooled commit connection). */
  connection(name: string): Client {
    const connectTimeoutMs = this.#options.connectTimeoutMs ?? 3000;
    const c = this.cluster && !this.#single
      ? new Cluster([nodeOf(this.#options.url)], {
          lazyConnect: true,
          redisOptions: { ...clientOptions(connectTimeoutMs, this.#timeoutMs, name), ...credentials(this.#options.url) },
          clusterRetryStrategy: (n: number) => Math.min(50 * n, 1000),
        })
      : new Redis(this.#options.url, { ...clientOptions(connectTimeoutMs, this.#timeoutMs, name), enableOfflineQueue: true });
    c.on("error", () => {});
    return c;
  }

  /**
   * The same store in database `db` (a client that ran SELECT n calls a function there): its own
   * connection, made on first use. A Redis Cluster has database 0 only (SELECT refuses the others).
   */
  database(db: number): RedisStore {
    if (db === urlDb(this.#options.url)) return this;
    let store = this.#databases.get(db);
    if (store === undefined) {
      const url = withDb(this.#options.url, db);
      const client = new Redis(url, { ...clientOptions(this.#options.connectTimeoutMs ?? 3000, this.#timeoutMs, `ferrite-wasm:functions:db${db}`), enableAutoPipelining: true });
      client.on("error", () => {}); // reported per command
      store = new RedisStore({ ...this.#options, url }, client, this.keyspace, false, false, this.metrics);
      const made = store;
      made.#ready = client.connect().then(
        () => void (made.#ready = null),
        () => void (made.#ready = null), // ioredis keeps reconnecting; commands fail until it is back
      );
      this.#databases.set(db, store);
    }
    return store;
  }

  /** The functions' connection, for the registry (registry.ts). */
  get client(): Client {
    return this.#redis;
  }

  async read(keys: Uint8Array[], timeoutMs: number): Promise<(Uint8Array | null)[]> {
    if (this.#ready !== null) await this.#ready;
    this.metrics.roundTrips.get++;
    if (keys.length === 1) return [await this.#run(this.#redis.getBuffer(buf(keys[0])), timeoutMs, "ferrite_get", false)];
    return this.#run(this.#redis.mgetBuffer(...keys.map(buf)), timeoutMs, "ferrite_get", false);
  }

  async commit(reads: ReadEntry[], writes: readonly KeyWrite[], timeoutMs: number): Promise<(Uint8Array | null)[] | null> {
    if (this.#ready !== null) await this.#ready;
    const current = await this.#commit(reads, writes, timeoutMs);
    this.metrics.roundTrips.apply++;
    if (current !== null) this.metrics.conflicts++;
    return current;
  }

  async #commit(reads: ReadEntry[], writes: readonly KeyWrite[], timeoutMs: number): Promise<(Uint8Array | null)[] | null> {
    if (this.#pool) return this.#watchCommit(reads, writes, timeoutMs);
    // The last write of a key wins: send each key once.
    const last = new Map<string, KeyWrite>();
    for (const w of writes) last.set(buf(w.key).toString("latin1"), w);
    const keys: Buffer[] = [];
    const args: (Buffer | string)[] = [String(reads.length)];
    for (const r of reads) {
      keys.push(buf(r.key));
      args.push(expected(r.value));
    }
    for (const w of last.values()) {
      keys.push(buf(w.key));
      args.push(w.value === null ? "d" : Buffer.concat([S, buf(w.value)]));
    }
    const reply = await this.#run(this.#script(keys, args), timeoutMs, "the call's writes", writes.length > 0);
    if (reply[0] === 1) return null;
    return reply.slice(1) as (Buffer | null)[];
  }

  /** EVALSHA (auto-pipelined by its first key's slot), or EVAL once when the server lacks the script. */
  async #script(keys: Buffer[], args: (Buffer | string)[]): Promise<(Buffer | number | null)[]> {
    try {
      return (await (this.#redis as unknown as Scripting).evalshaBuffer(COMMIT_SHA, keys.length, ...keys, ...args)) as (Buffer | number | null)[];
    } catch (e) {
      if (!/^NOSCRIPT/.test((e as Error).message)) throw e;
      return (await (this.#redis as unknown as Scripting).evalBuffer(COMMIT_LUA, keys.length, ...keys, ...args)) as (Buffer | number | null)[];
    }
  }

  /** WATCH the read keys, check them, MULTI the writes, EXEC: two round trips more than the script. */
  async #watchCommit(reads: ReadEntry[], writes: readonly KeyWrite[], timeoutMs: number): Promise<(Uint8Array | null)[] | null> {
    const conn = await this.#pool!.acquire();
    let healthy = true;
    try {
      const keys = reads.map((r) => buf(r.key));
      const current = async () => (keys.length ? await conn.mgetBuffer(...keys) : []);
      return await this.#run(
        (async () => {
          if (keys.length) await conn.watch(...keys);
          const now = await current();
          if (now.some((v, i) => !same(v, reads[i].value))) {
            await conn.unwatch();
            return now;
          }
          const tx = conn.multi();
          for (const w of writes) {
            if (w.value === null) tx.del(buf(w.key));
            else tx.set(buf(w.key), buf(w.value));
          }
          if (writes.length === 0) tx.ping();
          const res = await tx.exec();
          if (res === null) return await current(); // a watched key changed before EXEC
          for (const [e] of res) if (e) throw e;
          return null;
        })(),
        timeoutMs,
        "the call's writes",
        writes.length > 0,
      );
    } catch (e) {
      healthy = false;
      throw e;
    } finally {
      this.#pool!.release(conn, healthy);
    }
  }

  /** Throws Redis's own CROSSSLOT error when a call's keys are in different slots of a cluster. */
  checkKeys(fn: string, keys: readonly Uint8Array[]): void {
    if (!this.cluster || keys.length < 2) return;
    const first = calculateSlot(buf(keys[0]));
    for (const k of keys) {
      const slot = calculateSlot(buf(k));
      if (slot === first) continue;
      const a = printable(keys[0]);
      const b = printable(k);
      throw new FerriteReplyError(
        `CROSSSLOT Keys in request don't hash to the same slot (function '${fn}' used '${a}' in slot ${first} and '${b}' in slot ${slot}); ` +
          `a call's keys must share a slot in a Redis Cluster: give them one hash tag, e.g. '{${tagOf(a)}}${a}' and '{${tagOf(a)}}${b}'`,
        "WASM.CALL",
      );
    }
  }

  async #run<T>(p: Promise<T>, timeoutMs: number, what: string, writes: boolean): Promise<T> {
    const ms = Math.max(1, Math.ceil(Math.min(timeoutMs, this.#timeoutMs))); // ceil: never before the call's own end
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms)} ms`)), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (e) {
      const err = e as Error;
      if (err?.name === "ReplyError") {
        const text = err.message.replace(/ script: \w+, on @user_script:\d+\.?$/, "");
        if (/^(CROSSSLOT|MOVED|ASK|TRYAGAIN|CLUSTERDOWN)/.test(text)) throw new FerriteReplyError(text, "WASM.CALL"); // Redis's own word
        throw new FerriteError("ERR_STORE", `the store at ${this.where} refused ${what}: ${text}`);
      }
      const maybe = writes ? "; its writes may or may not have been applied (all or none of them)" : "";
      throw new FerriteError("ERR_STORE", `the store at ${this.where} is unavailable for ${what} (${err?.message ?? e})${maybe}; check that it is running`);
    } finally {
      clearTimeout(timer);
      p.catch(() => {}); // a late failure after the timeout is not unhandled
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#databases.values()].map((d) => d.#redis.quit().catch(() => d.#redis.disconnect())));
    await this.#pool?.close();
    await Promise.allSettled([this.#redis.quit().catch(() => this.#redis.disconnect()), this.keyspace.close()]);
  }
}

const S = Buffer.from("s");
const V = Buffer.from("v");

function expected(value: Uint8Array | null): Buffer | string {
  if (value === null) return "n";
  if (value.byteLength <= INLINE_COMPARE) return Buffer.concat([V, buf(value)]);
  return "h" + createHash("sha1").update(value).digest("hex");
}

function same(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return buf(a).equals(buf(b));
}

function clientOptions(connectTimeoutMs: number, commandTimeoutMs: number, name: string): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false, // a request while disconnected fails at once instead of hanging
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (n: number) => Math.min(50 * n, 1000),
    connectionName: name,
  };
}

function nodeOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || 6379) };
}

function credentials(url: string): Partial<RedisOptions> {
  const u = new URL(url);
  const out: Partial<RedisOptions> = {};
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  if (u.protocol === "rediss:") out.tls = {};
  return out;
}

/** A connect in progress: what it made (closed if it fails or is late), and what it found. */
interface Attempt {
  clients: Client[];
  over: boolean;
  cluster: boolean;
}

/**
 * Whether a cluster's CLUSTER SLOTS (asked of the URL's node) is that one node not knowing its own
 * address for every slot. Fails, naming the fix, when it serves no slot or only some slots that way.
 */
function oneNode(where: string, ranges: SlotRange[] | null): boolean {
  if (ranges === null) return false; // CLUSTER SLOTS refused: leave it to ioredis
  if (ranges.length === 0) {
    throw new FerriteError(
      "ERR_STORE",
      `the Redis Cluster at ${where} serves no slots (CLUSTER SLOTS is empty); assign them first (redis-cli --cluster create, or CLUSTER ADDSLOTSRANGE 0 16383 on a one-node cluster), or use store = "memory"`,
    );
  }
  const unknown = ranges.filter((r) => r.unknownHost);
  if (unknown.length === 0) return false;
  if (unknown.length === ranges.length && new Set(ranges.map((r) => r.id)).size === 1) return true;
  const r = unknown[0];
  throw new FerriteError(
    "ERR_STORE",
    `the Redis Cluster node at ${where} does not know its own address (CLUSTER SLOTS gives an empty host for slots ${r.start}-${r.end}) while other slots are on other nodes; ` +
      `give [server] store another node's address, or set cluster-announce-ip on that node`,
  );
}

function printable(key: Uint8Array): string {
  return Buffer.from(key).toString("utf8").replace(/[\x00-\x1f\x7f]/g, "?").slice(0, 64);
}

/** A plausible hash tag to suggest: the key's part before its first ':' (or the key). */
function tagOf(key: string): string {
  return key.split(":")[0] || key;
}

/** Dedicated connections for WATCH/MULTI (WATCH belongs to a connection). */
class WatchPool {
  readonly #idle: Redis[] = [];
  readonly #waiting: ((c: Redis) => void)[] = [];
  #open = 0;
  static readonly SIZE = 32;

  constructor(readonly make: () => Client) {}

  async acquire(): Promise<Redis> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#open < WatchPool.SIZE) {
      this.#open++;
      const c = this.make() as Redis;
      await c.connect().catch((e) => {
        this.#open--;
        throw e;
      });
      return c;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(c: Redis, healthy: boolean): void {
    if (!healthy) {
      this.#open--;
      c.disconnect();
      if (this.#waiting.length) void this.acquire().then(this.#waiting.shift()!);
      return;
    }
    const next = this.#waiting.shift();
    if (next) next(c);
    else this.#idle.push(c);
  }

  async close(): Promise<void> {
    for (const c of this.#idle.splice(0)) c.disconnect();
  }
}

export interface StoreMetrics {
  /** Requests functions' reads and commits made. */
  roundTrips: Record<string, number>;
  /** Commits refused because a key the call read had changed. */
  conflicts: number;
}

function withDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
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
