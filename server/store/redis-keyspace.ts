// The key commands against a real Redis: an ordinary async ioredis connection. Redis's own errors
// (WRONGTYPE, ...) pass through unchanged; a connection problem becomes a clear ERR naming the store.
import { Redis } from "ioredis";
import { KeyspaceError, type ExpireCondition, type Keyspace, type ScanPage, type SetOptions, type SetOutcome } from "./keyspace.js";

const b = (u8: Uint8Array): Buffer => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

export class RedisKeyspace implements Keyspace {
  readonly kind = "redis";
  readonly #redis: Redis;

  constructor(
    url: string,
    readonly where: string,
    connectTimeoutMs: number,
    commandTimeoutMs: number,
  ) {
    this.#redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: connectTimeoutMs,
      commandTimeout: commandTimeoutMs, // a hung server must not hold a client's replies forever
      retryStrategy: (n: number) => Math.min(50 * n, 1000),
      connectionName: "ferrite-wasm:keys",
    });
    this.#redis.on("error", () => {}); // reported per command
  }

  async connect(): Promise<void> {
    await this.#redis.connect();
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
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

  keys(pattern: Uint8Array): Promise<Buffer[]> {
    return this.#run((r) => r.callBuffer("KEYS", b(pattern)) as Promise<Buffer[]>);
  }

  async scan(cursor: string, match: Uint8Array | null, count: number, type: string | null): Promise<ScanPage> {
    const args: (string | Buffer | number)[] = [cursor];
    if (match) args.push("MATCH", b(match));
    args.push("COUNT", count);
    if (type) args.push("TYPE", type);
    const [next, keys] = (await this.#run((r) => r.callBuffer("SCAN", ...args))) as [Buffer, Buffer[]];
    return { cursor: next.toString(), keys };
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

  dbsize(): Promise<number> {
    return this.#run((r) => r.dbsize());
  }

  async flush(): Promise<void> {
    await this.#run((r) => r.flushdb());
  }

  type(key: Uint8Array): Promise<string> {
    return this.#run((r) => r.type(b(key)));
  }

  async info(): Promise<{ keys: number; expires: number }> {
    const text = await this.#run((r) => r.info("keyspace"));
    const db = new RegExp(`^db${this.#redis.options.db ?? 0}:keys=(\\d+),expires=(\\d+)`, "m").exec(text);
    return { keys: db ? Number(db[1]) : 0, expires: db ? Number(db[2]) : 0 };
  }
}
