// The key commands against a real Redis or Redis Cluster: an ordinary async ioredis connection.
// Redis's own errors (WRONGTYPE, ...) pass through unchanged; a connection problem becomes a clear
// ERR naming the store. The server's own keys (the function registry, REGISTRY_PREFIX) are left out
// of KEYS, SCAN, DBSIZE and INFO, and FLUSHDB keeps them. In a cluster, those four commands and
// FLUSHDB go to every master (a SCAN cursor carries the node's index in its low 10 bits).
import type { Cluster, Redis } from "ioredis";
import { REGISTRY_KEYS, REGISTRY_PREFIX } from "./registry-keys.js";
import calculateSlot from "cluster-key-slot";
import { KeyspaceError, type ExpireCondition, type Keyspace, type ScanPage, type SetOptions, type SetOutcome } from "./keyspace.js";

const b = (u8: Uint8Array): Buffer => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
const PREFIX = Buffer.from(REGISTRY_PREFIX, "latin1");
const visible = (key: Buffer): boolean => !(key.length >= PREFIX.length && PREFIX.equals(key.subarray(0, PREFIX.length)));
const NODE_BITS = 1024n;
const REGISTRY_SLOT = calculateSlot(REGISTRY_PREFIX);

// Keeps the registry across FLUSHDB: DUMP, flush, RESTORE, in one atomic step.
const FLUSH_LUA = `
local kept = {}
for i, k in ipairs(KEYS) do kept[i] = redis.call('DUMP', k) end
redis.call('FLUSHDB')
for i, k in ipairs(KEYS) do if kept[i] then redis.call('RESTORE', k, 0, kept[i]) end end
return 1`;
const DBSIZE_LUA = `if #KEYS == 0 then return redis.call('DBSIZE') end return redis.call('DBSIZE') - redis.call('EXISTS', unpack(KEYS))`;

export class RedisKeyspace implements Keyspace {
  readonly kind = "redis";
  readonly #redis: Redis;

  constructor(
    redis: Redis | Cluster,
    readonly where: string,
    /** A Redis Cluster: whole-keyspace commands go to every master. */
    readonly cluster = false,
  ) {
    // Per-key commands have the same methods on a Cluster (routed by slot); the few whole-keyspace
    // ones are handled per node below.
    this.#redis = redis as Redis;
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  /** The masters of a cluster, or the one server. */
  #nodes(): Redis[] {
    return this.cluster ? (this.#redis as unknown as Cluster).nodes("master") : [this.#redis];
  }

  /** Runs one command; every failure becomes a KeyspaceError carrying the reply to send. */
  async #run<T>(f: (r: Redis) => Promise<T>): Promise<T> {
    try {
      return await f(this.#redis);
    } catch (e) {
      const err = e as Error;
      if (err?.name === "ReplyError") throw new KeyspaceError(err.message);
      throw new KeyspaceError(`STORE the store at ${this.where} is unavailable (${err?.message ?? e}); check that it is running`);
    }
  }

  get(key: Uint8Array): Promise<Buffer | null> {
    return this.#run((r) => r.getBuffer(b(key)));
  }

  async set(key: Uint8Array, value: Uint8Array, o: SetOptions): Promise<SetOutcome> {
    const args: (string | Buffer | number)[] = [b(key), b(value)];
    if (o.condition) args.push(o.condition);
    if (o.get) args.push("GET");
    if (o.ttlMs !== undefined) args.push("PX", o.ttlMs);
    else if (o.expireAtMs !== undefined) args.push("PXAT", o.expireAtMs);
    else if (o.keepTtl) args.push("KEEPTTL");
    const reply = (await this.#run((r) => r.callBuffer("SET", ...args))) as Buffer | null;
    if (!o.get) return { written: reply !== null, previous: null };
    // With GET the reply is the old value, so whether it wrote follows from the condition.
    const written = o.condition === "NX" ? reply === null : o.condition === "XX" ? reply !== null : true;
    return { written, previous: reply };
  }

  mget(keys: Uint8Array[]): Promise<(Buffer | null)[]> {
    return this.#run((r) => r.mgetBuffer(...keys.map(b)));
  }

  async mset(pairs: [Uint8Array, Uint8Array][]): Promise<void> {
    await this.#run((r) => r.mset(...pairs.flatMap(([k, v]) => [b(k), b(v)])));
  }

  async incrBy(key: Uint8Array, delta: bigint): Promise<bigint> {
    const n = await this.#run((r) => r.call("INCRBY", b(key), delta.toString()) as Promise<number>);
    return BigInt(n);
  }

  del(keys: Uint8Array[]): Promise<number> {
    return this.#run((r) => r.del(...keys.map(b)));
  }

  exists(keys: Uint8Array[]): Promise<number> {
    return this.#run((r) => r.exists(...keys.map(b)));
  }

  async keys(pattern: Uint8Array): Promise<Buffer[]> {
    const nodes = this.#nodes();
    const lists = await this.#run(() => Promise.all(nodes.map((n) => n.callBuffer("KEYS", b(pattern)) as Promise<Buffer[]>)));
    return lists.flat().filter(visible);
  }

  async scan(cursor: string, match: Uint8Array | null, count: number, type: string | null): Promise<ScanPage> {
    const nodes = this.#nodes();
    let c = BigInt(cursor);
    let node = this.cluster ? Number(c % NODE_BITS) : 0;
    let nodeCursor = this.cluster ? c / NODE_BITS : c;
    if (node >= nodes.length) return { cursor: "0", keys: [] };
    const args: (string | Buffer | number)[] = [];
    if (match) args.push("MATCH", b(match));
    args.push("COUNT", count);
    if (type) args.push("TYPE", type);
    const [next, keys] = (await this.#run((r) => (this.cluster ? nodes[node] : r).callBuffer("SCAN", String(nodeCursor), ...args))) as [Buffer, Buffer[]];
    nodeCursor = BigInt(next.toString());
    if (!this.cluster) return { cursor: next.toString(), keys: keys.filter(visible) };
    if (nodeCursor === 0n) {
      node++;
      if (node >= nodes.length) return { cursor: "0", keys: keys.filter(visible) };
    }
    c = nodeCursor * NODE_BITS + BigInt(node);
    return { cursor: c.toString(), keys: keys.filter(visible) };
  }

  pttl(key: Uint8Array): Promise<number> {
    return this.#run((r) => r.pttl(b(key)));
  }

  async pexpire(key: Uint8Array, ms: number, condition?: ExpireCondition): Promise<boolean> {
    const args: (string | Buffer | number)[] = [b(key), ms];
    if (condition) args.push(condition);
    return (await this.#run((r) => r.call("PEXPIRE", ...args) as Promise<number>)) === 1;
  }

  async persist(key: Uint8Array): Promise<boolean> {
    return (await this.#run((r) => r.persist(b(key)))) === 1;
  }

  /** Keys in the database, less the server's registry keys. */
  async dbsize(): Promise<number> {
    const sizes = await this.#run(() =>
      Promise.all(this.#nodes().map((n) => n.eval(DBSIZE_LUA, this.#ownsRegistry(n) ? REGISTRY_KEYS.length : 0, ...(this.#ownsRegistry(n) ? REGISTRY_KEYS : [])) as Promise<number>)),
    );
    return sizes.reduce((a, n) => a + Number(n), 0);
  }

  /** FLUSHDB that keeps the function registry. */
  async flush(): Promise<void> {
    await this.#run(() =>
      Promise.all(this.#nodes().map((n) => (this.#ownsRegistry(n) ? n.eval(FLUSH_LUA, REGISTRY_KEYS.length, ...REGISTRY_KEYS) : n.flushdb()))),
    );
  }

  /** Whether this node serves the registry's slot (always, without a cluster). */
  #ownsRegistry(node: Redis): boolean {
    if (!this.cluster) return true;
    const cluster = this.#redis as unknown as Cluster & { slots: string[][] };
    const owner = cluster.slots[REGISTRY_SLOT]?.[0];
    return owner === `${node.options.host}:${node.options.port}`;
  }

  type(key: Uint8Array): Promise<string> {
    return this.#run((r) => r.type(b(key)));
  }

  async info(): Promise<{ keys: number; expires: number }> {
    const nodes = this.#nodes();
    const texts = await this.#run(() => Promise.all(nodes.map((n) => n.info("keyspace"))));
    let expires = 0;
    for (const text of texts) {
      const db = new RegExp(`^db${this.cluster ? 0 : (this.#redis.options.db ?? 0)}:keys=(\\d+),expires=(\\d+)`, "m").exec(text);
      if (db) expires += Number(db[2]);
    }
    return { keys: await this.dbsize(), expires };
  }
}
