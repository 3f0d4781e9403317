// With `store = "redis://..."`: the raw connections commands reach Redis through. Commands the
// server does not own (HSET, LPUSH, ZADD, ...) and the key commands marked `native` go to the
// store as they are, on one shared connection per node, database and protocol, and the client gets
// Redis's reply byte for byte. WATCH and fully native transactions use a connection of their own
// per client (see multi.ts). The store's COMMAND table says which commands exist there and where
// their keys are.
//
// A Redis Cluster: each command goes to the master of its first key's slot (a slot map from
// CLUSTER SLOTS); a MOVED reply updates the map and the command is sent once more where it says, an
// ASK reply sends ASKING and the command to the node it names. Keys in different slots are Redis's
// to refuse (CROSSSLOT). A keyless command goes to the URL's node, except the commands that cover
// the whole keyspace (KEYS, SCAN, DBSIZE, FLUSHDB, FLUSHALL, RANDOMKEY): they go to every master
// and leave out the server's own registry keys, in the URL's database of a single Redis too.
import calculateSlot from "cluster-key-slot";
import RedisParser from "redis-parser";
import { FerriteError } from "../../runtime-sim/index.js";
import { commandKeys, type KeySpec, type KeySpecFlag } from "../commands/keyspecs.js";
import { ErrorReply, OK, RawReply, type Reply } from "../resp.js";
import { redirection, slotRanges, slotTable, splitNode, nodeKey, type SlotRange } from "./cluster-slots.js";
import { RawConnection, type RawBytes } from "./raw-connection.js";
import { REGISTRY_KEYS, REGISTRY_PREFIX } from "./registry-keys.js";

export interface StoreCommand {
  name: string;
  arity: number;
  flags: readonly string[];
  keySpecs: KeySpec[];
  /** Its ACL categories on the store, without the '@' ("hash", "write", "fast"). */
  categories: readonly string[];
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

const b = (s: string): Buffer => Buffer.from(s);
const C = {
  GET: b("GET"),
  ASKING: b("ASKING"),
  CLUSTER: b("CLUSTER"),
  SLOTS: b("SLOTS"),
  INFO: b("INFO"),
  KEYSPACE: b("keyspace"),
  EVAL: b("EVAL"),
  DBSIZE: b("DBSIZE"),
  RANDOMKEY: b("RANDOMKEY"),
  SCAN: b("SCAN"),
  COUNT: b("COUNT"),
};
const NO_KEYS: readonly Buffer[] = [];
const PREFIX = Buffer.from(REGISTRY_PREFIX, "latin1");
const visible = (key: Buffer): boolean => !(key.length >= PREFIX.length && PREFIX.equals(key.subarray(0, PREFIX.length)));
const REGISTRY_ARGS = REGISTRY_KEYS.map(b);
const REGISTRY_SLOT = calculateSlot(REGISTRY_PREFIX);
const isError = (raw: RawBytes): boolean => raw[0] === 0x2d || raw[0] === 0x21;
// A flush that keeps the registry's keys (KEYS): DUMP them, flush, RESTORE them, in one atomic step.
const flushKeeping = (flush: string): string => `
local kept = {}
for i, k in ipairs(KEYS) do kept[i] = redis.call('DUMP', k) end
redis.call('${flush}')
for i, k in ipairs(KEYS) do if kept[i] then redis.call('RESTORE', k, 0, kept[i]) end end
return 1`;
const FLUSHDB_LUA = b(flushKeeping("FLUSHDB"));
const FLUSHALL_LUA = b(flushKeeping("FLUSHALL"));
const DBSIZE_LUA = b(`return redis.call('DBSIZE') - redis.call('EXISTS', unpack(KEYS))`);

/** A command as one of the whole-keyspace ones (lower case), or undefined; cheap for the rest. */
function wholeName(name: Buffer): string | undefined {
  if (name.length < 4 || name.length > 9) return undefined;
  const n = name.toString("latin1").toLowerCase();
  return WHOLE.has(n) ? n : undefined;
}
const WHOLE = new Set(["keys", "scan", "dbsize", "flushdb", "flushall", "randomkey"]);

interface Dedicated {
  node: string;
  /** The key it was opened for, for messages. */
  key: Buffer | undefined;
}

export class StoreLink {
  readonly #pool = new Map<string, RawConnection>();
  readonly #dedicated = new Map<RawConnection, Dedicated>();
  #closed = false;
  /** The URL's node: every command without a cluster, keyless ones with one. */
  readonly #home: string;
  /** Cluster: each slot's master; undefined ones go to the URL's node, whose MOVED says where. */
  #slots: (string | undefined)[];
  #refreshing: Promise<void> | null = null;

  private constructor(
    readonly options: StoreLinkOptions,
    /** The database in the URL: where new clients start. */
    readonly baseDb: number,
    /** How many databases the store has (its CONFIG GET databases). */
    readonly databases: number,
    /** The store is a Redis Cluster node: only database 0 exists. */
    readonly cluster: boolean,
    readonly commands: ReadonlyMap<string, StoreCommand>,
    ranges: readonly SlotRange[],
  ) {
    this.#home = homeNode(options.url);
    this.#slots = cluster ? slotTable(ranges) : [];
  }

  get where(): string {
    return this.options.where;
  }

  /**
   * Reads what the store is: its databases, whether it is a cluster (and its slot map), its command
   * table. Fails within connectTimeoutMs with a message naming the store and the fix.
   */
  static async connect(options: StoreLinkOptions): Promise<StoreLink> {
    const baseDb = urlDb(options.url);
    const ms = options.connectTimeoutMs;
    const probe = new RawConnection({ url: options.url, proto: 2, db: baseDb, timeoutMs: ms, connectTimeoutMs: ms });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([StoreLink.#probe(options, baseDb, probe), deadline]);
    } catch (e) {
      throw new FerriteError(
        "ERR_STORE",
        `cannot reach the store at ${options.where} (${(e as Error)?.message ?? e}); start that server, fix [server] store, or use store = "memory"`,
      );
    } finally {
      clearTimeout(timer);
      probe.close();
    }
  }

  static async #probe(options: StoreLinkOptions, baseDb: number, probe: RawConnection): Promise<StoreLink> {
    const [info, dbs, table] = (await probe.sendMany([["INFO", "cluster"], ["CONFIG", "GET", "databases"], ["COMMAND"]].map((a) => a.map(b)))).map((r) => decode(r));
    const cluster = typeof info === "string" && /^cluster_enabled:1/m.test(info);
    const databases = cluster ? 1 : Array.isArray(dbs) && dbs.length === 2 ? Number(dbs[1]) || 16 : 16;
    // A node that refuses CLUSTER SLOTS leaves the map empty: commands go to it and its MOVED corrects them.
    const ranges = cluster ? slotRanges(decode(await probe.send([C.CLUSTER, C.SLOTS])), splitNode(homeNode(options.url)).host) : [];
    return new StoreLink(options, baseDb, databases, cluster, Array.isArray(table) ? commandTable(table) : new Map(), ranges);
  }

  /** The shared connection to `node` in database `db`. */
  #connection(node: string, db: number, proto: 2 | 3): RawConnection {
    const key = `${node}/${db}/${proto}`;
    let conn = this.#pool.get(key);
    if (!conn) {
      conn = this.#open(node, db, proto);
      this.#pool.set(key, conn);
    }
    return conn;
  }

  #open(node: string, db: number, proto: 2 | 3): RawConnection {
    const url = node === this.#home ? this.options.url : nodeUrl(this.options.url, node);
    return new RawConnection({ url, proto, db, timeoutMs: this.options.timeoutMs, connectTimeoutMs: this.options.connectTimeoutMs });
  }

  /**
   * Sends a command to database `db`; the reply is Redis's, or an ERR naming the store when it
   * cannot be reached. `spec` says where its keys are: in a cluster it goes to its first key's master.
   */
  async send(db: number, proto: 2 | 3, args: readonly Buffer[], spec?: { keySpecs?: readonly KeySpec[] }): Promise<Reply> {
    if (this.#closed) return this.unavailable(new Error("the server is shutting down"));
    try {
      const keyed = (spec?.keySpecs?.length ?? 0) > 0;
      if (!keyed) {
        const whole = wholeName(args[0]);
        // FLUSHALL empties every database, the registry's too, from whichever one it is sent.
        if (whole !== undefined && (db === this.baseDb || whole === "flushall")) return await this.#whole(whole, db, args);
      }
      return new RawReply(await this.#routed(db, proto, keyed && this.cluster ? commandKeys(spec!, args) : NO_KEYS, args));
    } catch (e) {
      return this.unavailable(e);
    }
  }

  /** Whether the link answers `name` itself (over every master, without the registry) rather than passing it on. */
  runsItself(name: string): boolean {
    return WHOLE.has(name);
  }

  /** The node of `keys[0]`'s slot (the URL's node without a cluster or without keys). */
  nodeFor(keys: readonly Uint8Array[]): string {
    if (!this.cluster || keys.length === 0) return this.#home;
    return this.#slots[calculateSlot(Buffer.from(keys[0].buffer, keys[0].byteOffset, keys[0].byteLength))] ?? this.#home;
  }

  async #routed(db: number, proto: 2 | 3, keys: readonly Uint8Array[], args: readonly Uint8Array[]): Promise<RawBytes> {
    if (!this.cluster || keys.length === 0) return this.#connection(this.#home, db, proto).send(args);
    const node = this.nodeFor(keys);
    const raw = await this.#connection(node, db, proto).send(args);
    const to = raw[0] === 0x2d ? this.#redirected(raw, node) : null;
    if (to === null) return raw;
    // ASK: this one request goes to the importing node, after ASKING on the same connection.
    if (to.ask) return (await this.#connection(to.node, db, proto).sendMany([[C.ASKING], args]))[1];
    return this.#connection(to.node, db, proto).send(args);
  }

  /** A MOVED (the map is corrected, and refreshed in the background) or ASK reply, or null. */
  #redirected(raw: RawBytes, from: string): { ask: boolean; node: string } | null {
    const to = redirection(raw, from);
    if (to === null) return null;
    if (!to.ask) {
      this.#slots[to.slot] = to.node;
      void this.refresh();
    }
    return to;
  }

  /** Reads CLUSTER SLOTS again (one at a time), from the URL's node or else any known master. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#loadSlots().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #loadSlots(): Promise<void> {
    for (const node of new Set([this.#home, ...this.masters()])) {
      try {
        const ranges = slotRanges(decode(await this.#connection(node, this.baseDb, 2).send([C.CLUSTER, C.SLOTS])), splitNode(node).host);
        if (ranges.length > 0) return void (this.#slots = slotTable(ranges));
      } catch {
        // unreachable: ask the next one
      }
    }
  }

  /** The masters (sorted, so a SCAN cursor's node index means the same node next time), or the one server. */
  masters(): string[] {
    if (!this.cluster) return [this.#home];
    const nodes = new Set<string>();
    for (const n of this.#slots) if (n !== undefined) nodes.add(n);
    return nodes.size > 0 ? [...nodes].sort() : [this.#home];
  }

  /** A connection of one client's own (WATCH, transactions), closed with the client; in a cluster, to `keys[0]`'s master. */
  dedicated(db: number, proto: 2 | 3, keys: readonly Buffer[] = NO_KEYS): RawConnection {
    const node = this.nodeFor(keys);
    const conn = this.#open(node, db, proto);
    this.#dedicated.set(conn, { node, key: keys[0] });
    return conn;
  }

  /** The node a dedicated connection talks to. */
  nodeOf(conn: RawConnection): string {
    return this.#dedicated.get(conn)?.node ?? this.#home;
  }

  /**
   * Cluster: why `keys` cannot all go to one master in one transaction (to `conn`'s, when it holds a
   * WATCH), or null. Redis would answer MOVED for the ones elsewhere.
   */
  apart(keys: readonly Buffer[], conn: RawConnection | null): string | null {
    if (!this.cluster || keys.length === 0) return null;
    const held = conn ? this.#dedicated.get(conn) : undefined;
    const first = held ? held.node : this.nodeFor(keys);
    const a = held ? held.key : keys[0];
    for (const k of keys) {
      const node = this.nodeFor([k]);
      if (node === first) continue;
      const where = (key: Buffer | undefined, n: string) => (key ? `'${printable(key)}' (slot ${calculateSlot(key)}) is on ${n}` : `its WATCH is on ${n}`);
      const tag = a ? printable(a).split(":")[0] : printable(k).split(":")[0];
      const example = a ? `e.g. '{${tag}}${printable(a)}' and '{${tag}}${printable(k)}'` : `e.g. '{${tag}}${printable(k)}'`;
      return (
        `ERR a transaction on a Redis Cluster store runs on one master, but ${where(a, first)} and ${where(k, node)}; ` +
        `give its keys and the keys it WATCHes one hash tag, ${example} (docs/commands.md#transactions-multi-exec-watch)`
      );
    }
    return null;
  }

  /** A MOVED or ASK reply on a dedicated connection: the map is corrected; the text for the client. */
  redirectedOn(raw: RawBytes, conn: RawConnection): string | null {
    const to = this.#redirected(raw, this.nodeOf(conn));
    if (to === null) return null;
    return `ERR a key's slot is moving between masters of the Redis Cluster store (${raw.toString("latin1", 1, raw.length - 2)}); nothing ran: run it again`;
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
    const raw = await this.#routed(db, 2, [key], [C.GET, key]);
    return raw[0] === 0x24 ? (decode(raw, true) as Buffer | null) : null;
  }

  /** INFO keyspace's db lines of the store (summed over a cluster's masters). */
  async keyspaceLines(): Promise<Record<string, string>> {
    const texts = await Promise.all(this.masters().map((n) => this.#connection(n, this.baseDb, 2).send([C.INFO, C.KEYSPACE])));
    const lines: Record<string, string>[] = texts.map((raw) => {
      const text = decode(raw);
      const out: Record<string, string> = {};
      if (typeof text === "string") for (const m of text.matchAll(/^(db\d+):(.*?)\r?$/gm)) out[m[1]] = m[2];
      return out;
    });
    const out = lines.length === 1 ? lines[0] : summed(lines);
    // The URL's database also holds the server's own keys: count the others only, as DBSIZE does.
    const home = `db${this.baseDb}`;
    if (out[home] !== undefined) {
      const visible = await this.#dbsize(this.baseDb);
      if (visible === 0) delete out[home];
      else if (typeof visible === "number") out[home] = out[home].replace(/^keys=\d+/, `keys=${visible}`);
    }
    return out;
  }

  // KEYS, SCAN, DBSIZE, FLUSHDB, FLUSHALL, RANDOMKEY: over every master, leaving out the registry.
  // Replies come back in RESP2 (same shapes in RESP3) and are written in the client's protocol.

  async #whole(name: string, db: number, args: readonly Buffer[]): Promise<Reply> {
    switch (name) {
      case "keys":
        return this.#keys(db, args);
      case "scan":
        return this.#scan(db, args);
      case "dbsize":
        return this.#dbsize(db);
      case "flushdb":
        return this.#flush(db, args, false);
      case "flushall":
        return this.#flush(this.baseDb, args, true);
      default:
        return this.#randomKey(db);
    }
  }

  /** Where the registry's keys are: the master of their slot, or the one server. */
  #registryNode(): string {
    return this.cluster ? (this.#slots[REGISTRY_SLOT] ?? this.#home) : this.#home;
  }

  async #keys(db: number, args: readonly Buffer[]): Promise<Reply> {
    const replies = await Promise.all(this.masters().map((n) => this.#connection(n, db, 2).send(args)));
    const failed = replies.find(isError);
    if (failed) return new RawReply(failed);
    return replies.flatMap((r) => decode(r, true) as Buffer[]).filter(visible);
  }

  /** A cluster's SCAN cursor carries the master's index in its low 10 bits and that master's cursor above. */
  async #scan(db: number, args: readonly Buffer[]): Promise<Reply> {
    const nodes = this.masters();
    const cursor = args[1].toString("latin1");
    let index = 0;
    let request = args;
    if (nodes.length > 1 && /^[0-9]{1,20}$/.test(cursor)) {
      const c = BigInt(cursor);
      index = Number(c % NODE_BITS);
      if (index >= nodes.length) return ["0", []];
      request = [args[0], Buffer.from((c / NODE_BITS).toString()), ...args.slice(2)];
    }
    const raw = await this.#connection(nodes[index], db, 2).send(request);
    if (isError(raw)) return new RawReply(raw); // Redis's own word on a bad cursor or option
    const [next, keys] = decode(raw, true) as [Buffer, Buffer[]];
    if (nodes.length === 1) return [next, keys.filter(visible)];
    const nodeCursor = BigInt(next.toString("latin1"));
    if (nodeCursor === 0n && ++index >= nodes.length) return ["0", keys.filter(visible)];
    return [(nodeCursor * NODE_BITS + BigInt(index)).toString(), keys.filter(visible)];
  }

  async #dbsize(db: number): Promise<Reply> {
    const owner = db === this.baseDb ? this.#registryNode() : null;
    const replies = await Promise.all(
      this.masters().map((n) =>
        n === owner
          ? this.#routed(db, 2, REGISTRY_ARGS, [C.EVAL, DBSIZE_LUA, b(String(REGISTRY_ARGS.length)), ...REGISTRY_ARGS])
          : this.#connection(n, db, 2).send([C.DBSIZE]),
      ),
    );
    const failed = replies.find(isError);
    if (failed) return new RawReply(failed);
    return replies.reduce((sum, r) => sum + Number(decode(r)), 0);
  }

  /** FLUSHDB / FLUSHALL [ASYNC|SYNC], keeping the registry (one script on its master). */
  async #flush(db: number, args: readonly Buffer[], all: boolean): Promise<Reply> {
    if (args.length > 2 || (args.length === 2 && !/^(a?sync)$/i.test(args[1].toString("latin1")))) return new ErrorReply("ERR syntax error");
    const owner = this.#registryNode();
    const script = all ? FLUSHALL_LUA : FLUSHDB_LUA;
    const replies = await Promise.all(
      this.masters().map((n) =>
        n === owner
          ? this.#routed(db, 2, REGISTRY_ARGS, [C.EVAL, script, b(String(REGISTRY_ARGS.length)), ...REGISTRY_ARGS])
          : this.#connection(n, db, 2).send(args),
      ),
    );
    const failed = replies.find(isError);
    return failed ? new RawReply(failed) : OK;
  }

  /** A random master's random key; a registry key is drawn again (a few times, then the next master, then a SCAN). */
  async #randomKey(db: number): Promise<Reply> {
    const nodes = this.masters().sort(() => Math.random() - 0.5);
    for (const n of nodes) {
      for (let i = 0; i < 4; i++) {
        const raw = await this.#connection(n, db, 2).send([C.RANDOMKEY]);
        if (isError(raw)) return new RawReply(raw);
        const key = decode(raw, true) as Buffer | null;
        if (key === null) break;
        if (visible(key)) return key;
      }
    }
    // Only registry keys drawn: a key exists if SCAN finds one that is not the registry's.
    for (const n of nodes) {
      let cursor = "0";
      do {
        const raw = await this.#connection(n, db, 2).send([C.SCAN, b(cursor), C.COUNT, b("100")]);
        if (isError(raw)) return new RawReply(raw);
        const [next, keys] = decode(raw, true) as [Buffer, Buffer[]];
        const key = keys.find(visible);
        if (key !== undefined) return key;
        cursor = next.toString("latin1");
      } while (cursor !== "0");
    }
    return null;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#pool.values()) c.close();
    for (const c of this.#dedicated.keys()) c.close();
    this.#pool.clear();
    this.#dedicated.clear();
  }
}

const NODE_BITS = 1024n;

/** The URL's "host:port". */
function homeNode(url: string): string {
  const u = new URL(url);
  return nodeKey(u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", Number(u.port || 6379));
}

/** The store's URL (credentials, TLS, database) pointed at another node. */
function nodeUrl(url: string, node: string): string {
  const u = new URL(url);
  const { host, port } = splitNode(node);
  u.hostname = host.includes(":") ? `[${host}]` : host;
  u.port = String(port);
  return u.toString();
}

function printable(key: Uint8Array): string {
  return Buffer.from(key).toString("utf8").replace(/[\x00-\x1f\x7f]/g, "?").slice(0, 64);
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
    const categories = Array.isArray(e[6]) ? e[6].map((c) => String(c).replace(/^@/, "")) : [];
    out.set(name, { name, arity: Number(e[1]), flags, keySpecs, categories, refused: refusal(name, flags) });
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

/** INFO keyspace lines of several masters, added up per database. */
function summed(lines: Record<string, string>[]): Record<string, string> {
  const sums = new Map<string, { keys: number; expires: number; ttl: number }>();
  for (const l of lines) {
    for (const [db, v] of Object.entries(l)) {
      const f = Object.fromEntries(v.split(",").map((kv) => kv.split("=")));
      const s = sums.get(db) ?? { keys: 0, expires: 0, ttl: 0 };
      s.keys += Number(f.keys) || 0;
      s.expires += Number(f.expires) || 0;
      s.ttl += (Number(f.avg_ttl) || 0) * (Number(f.expires) || 0);
      sums.set(db, s);
    }
  }
  const out: Record<string, string> = {};
  for (const [db, s] of sums) out[db] = `keys=${s.keys},expires=${s.expires},avg_ttl=${s.expires ? Math.round(s.ttl / s.expires) : 0}`;
  return out;
}
