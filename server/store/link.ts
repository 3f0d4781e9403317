// With `store = "redis://..."`: the raw connections commands reach Redis through. Commands the
// server does not own (HSET, LPUSH, ZADD, ...) and the key commands marked `native` go to the
// store as they are, on one shared connection per database and protocol, and the client gets
// Redis's reply byte for byte. WATCH and fully native transactions use a connection of their own
// per client (see multi.ts). The store's COMMAND table says which commands exist there and where
// their keys are.
import RedisParser from "redis-parser";
import type { KeySpec, KeySpecFlag } from "../commands/keyspecs.js";
import { ErrorReply, RawReply, type Reply } from "../resp.js";
import { RawConnection, type RawBytes } from "./raw-connection.js";

export interface StoreCommand {
  name: string;
  arity: number;
  flags: readonly string[];
  keySpecs: KeySpec[];
  /** Why it is not passed through, when it is not. */
  refused: string | null;
}

export interface StoreLinkOptions {
  url: string;
  /** The URL without its password, for messages. */
  where: string;
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** Commands whose use would take over the shared connection or the store itself. */
const CONNECTION_STATE: Record<string, string> = {
  wait: "waits for replicas on a connection other clients share",
  waitaof: "waits for the AOF on a connection other clients share",
  readonly: "changes the state of a connection other clients share",
  readwrite: "changes the state of a connection other clients share",
  asking: "changes the state of a connection other clients share",
};

export class StoreLink {
  readonly #pool = new Map<string, RawConnection>();
  readonly #dedicated = new Set<RawConnection>();
  #closed = false;

  private constructor(
    readonly options: StoreLinkOptions,
    /** The database in the URL: where new clients start. */
    readonly baseDb: number,
    /** How many databases the store has (its CONFIG GET databases). */
    readonly databases: number,
    /** The store is a Redis Cluster node: only database 0 exists. */
    readonly cluster: boolean,
    readonly commands: ReadonlyMap<string, StoreCommand>,
  ) {}

  get where(): string {
    return this.options.where;
  }

  /** Reads what the store is: its databases, whether it is a cluster, its command table. */
  static async connect(options: StoreLinkOptions): Promise<StoreLink> {
    const baseDb = urlDb(options.url);
    const probe = new RawConnection({ url: options.url, proto: 2, db: baseDb, timeoutMs: options.connectTimeoutMs, connectTimeoutMs: options.connectTimeoutMs });
    try {
      const [info, dbs, table] = (await probe.sendMany([["INFO", "cluster"], ["CONFIG", "GET", "databases"], ["COMMAND"]].map((a) => a.map((s) => Buffer.from(s))))).map((r) => decode(r));
      const cluster = typeof info === "string" && /^cluster_enabled:1/m.test(info);
      const databases = cluster ? 1 : Array.isArray(dbs) && dbs.length === 2 ? Number(dbs[1]) || 16 : 16;
      return new StoreLink(options, baseDb, databases, cluster, Array.isArray(table) ? commandTable(table) : new Map());
    } finally {
      probe.close();
    }
  }

  #connection(db: number, proto: 2 | 3): RawConnection {
    const key = `${db}:${proto}`;
    let conn = this.#pool.get(key);
    if (!conn) {
      conn = new RawConnection({ url: this.options.url, proto, db, timeoutMs: this.options.timeoutMs, connectTimeoutMs: this.options.connectTimeoutMs });
      this.#pool.set(key, conn);
    }
    return conn;
  }

  /** Sends a command to database `db`; the reply is Redis's, or an ERR naming the store when it cannot be reached. */
  async send(db: number, proto: 2 | 3, args: readonly Uint8Array[]): Promise<Reply> {
    if (this.#closed) return this.unavailable(new Error("the server is shutting down"));
    try {
      return new RawReply(await this.#connection(db, proto).send(args));
    } catch (e) {
      return this.unavailable(e);
    }
  }

  /** A connection of one client's own (WATCH, transactions), closed with the client. */
  dedicated(db: number, proto: 2 | 3): RawConnection {
    const conn = new RawConnection({ url: this.options.url, proto, db, timeoutMs: this.options.timeoutMs, connectTimeoutMs: this.options.connectTimeoutMs });
    this.#dedicated.add(conn);
    return conn;
  }

  release(conn: RawConnection): void {
    this.#dedicated.delete(conn);
    conn.close();
  }

  /** The reply a client gets when the store cannot be reached. */
  unavailable(e: unknown): ErrorReply {
    return new ErrorReply(`STORE the store at ${this.where} is unavailable (${(e as Error)?.message ?? e}); check that it is running`);
  }

  /** A value, for trigger checks (null when missing or not a string). */
  async get(db: number, key: Uint8Array): Promise<Uint8Array | null> {
    const raw = await this.#connection(db, 2).send([Buffer.from("GET"), key]);
    return raw[0] === 0x24 ? (decode(raw, true) as Buffer | null) : null;
  }

  /** INFO keyspace's db lines of the store. */
  async keyspaceLines(): Promise<Record<string, string>> {
    const text = decode(await this.#connection(this.baseDb, 2).send([Buffer.from("INFO"), Buffer.from("keyspace")]));
    const out: Record<string, string> = {};
    if (typeof text === "string") for (const m of text.matchAll(/^(db\d+):(.*?)\r?$/gm)) out[m[1]] = m[2];
    return out;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#pool.values()) c.close();
    for (const c of this.#dedicated) c.close();
    this.#pool.clear();
    this.#dedicated.clear();
  }
}

export function urlDb(url: string): number {
  try {
    const db = Number(new URL(url).pathname.slice(1) || "0");
    return Number.isInteger(db) && db >= 0 ? db : 0;
  } catch {
    return 0;
  }
}

/** Decodes one raw reply (RESP2) into plain values; errors become Error objects. */
export function decode(raw: RawBytes, buffers = false): unknown {
  let out: unknown;
  const parser = new RedisParser({
    returnBuffers: buffers,
    returnReply: (r) => (out = r),
    returnError: (e) => (out = e),
  });
  parser.execute(raw);
  return out;
}

function commandTable(entries: unknown[]): Map<string, StoreCommand> {
  const out = new Map<string, StoreCommand>();
  for (const e of entries) {
    if (!Array.isArray(e) || typeof e[0] !== "string") continue;
    const name = e[0].toLowerCase();
    const flags = Array.isArray(e[2]) ? e[2].map(String) : [];
    const keySpecs = Array.isArray(e[8]) ? e[8].map(parseKeySpec).filter((k): k is KeySpec => k !== null) : legacySpecs(e);
    out.set(name, { name, arity: Number(e[1]), flags, keySpecs, refused: refusal(name, flags) });
  }
  return out;
}

function refusal(name: string, flags: readonly string[]): string | null {
  if (CONNECTION_STATE[name]) return CONNECTION_STATE[name];
  if (flags.includes("pubsub")) return "subscribes a connection other clients share";
  if (flags.includes("blocking") && name !== "xread" && name !== "xreadgroup") return "blocks a connection other clients share";
  if (flags.includes("admin")) return "administers the store itself";
  return null;
}

/** A flat [k, v, k, v] array as an object. */
function pairs(a: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (Array.isArray(a)) for (let i = 0; i + 1 < a.length; i += 2) o[String(a[i])] = a[i + 1];
  return o;
}

function parseKeySpec(raw: unknown): KeySpec | null {
  const ks = pairs(raw);
  const bs = pairs(ks.begin_search);
  const fk = pairs(ks.find_keys);
  const bss = pairs(bs.spec);
  const fks = pairs(fk.spec);
  const flags = (Array.isArray(ks.flags) ? ks.flags.map(String) : []) as KeySpecFlag[];
  let begin: KeySpec["begin"];
  if (bs.type === "index") begin = { index: Number(bss.index) };
  else if (bs.type === "keyword") begin = { keyword: String(bss.keyword), startFrom: Number(bss.startfrom) };
  else return null;
  let find: KeySpec["find"];
  if (fk.type === "range") find = { lastKey: Number(fks.lastkey), keyStep: Number(fks.keystep), limit: Number(fks.limit) };
  else if (fk.type === "keynum") find = { keyNumIdx: Number(fks.keynumidx), firstKey: Number(fks.firstkey), keyStep: Number(fks.keystep) };
  else return null;
  return { flags, begin, find };
}

/** A store older than Redis 7 gives only first/last/step. */
function legacySpecs(e: unknown[]): KeySpec[] {
  const [first, last, step] = [Number(e[3]), Number(e[4]), Number(e[5])];
  if (!first) return [];
  return [{ flags: [], begin: { index: first }, find: { lastKey: last < 0 ? last : last - first, keyStep: step || 1, limit: 0 } }];
}
