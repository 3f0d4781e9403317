// Redis transactions: MULTI queues commands, EXEC runs them in order with no other client's command
// in between, DISCARD drops them, WATCH makes EXEC fail (a null reply) when a watched key changed.
// A queuing error (unknown command, wrong arity, ...) makes EXEC fail with EXECABORT; a command that
// fails while EXEC runs does not undo the others. Semantics and the differences with a Redis store:
// docs/commands.md#transactions.
import type { Client, ServerContext } from "./context.js";
import { ErrorReply, NULL_ARRAY, OK, RawReply, errorText, type Reply } from "./resp.js";
import { keyId } from "../runtime-sim/host.js";
import type { Watcher } from "./store/watch.js";
import type { RawConnection } from "./store/raw-connection.js";
import type { CommandSpec } from "./commands/registry.js";
import { commandKeys } from "./commands/keyspecs.js";

/** Commands that run at once inside MULTI instead of being queued (as Redis's processCommand). */
export const IMMEDIATE_IN_MULTI: ReadonlySet<string> = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

const EXECABORT = new ErrorReply("EXECABORT Transaction discarded because of previous errors.");

interface WatchedKey {
  db: number;
  id: string;
  /** Its expiry when WATCH ran (0 none): a key that expires before EXEC counts as changed, as in Redis 7. */
  expiresAt: number;
}

/** One client's MULTI queue and WATCH state. */
export class ClientTransaction implements Watcher {
  /** Queued requests; null when not in MULTI. */
  queue: Buffer[][] | null = null;
  /** Bytes the queue holds (CLIENT LIST multi-mem). */
  queueBytes = 0;
  /** A command was refused while queuing: EXEC will answer EXECABORT. */
  failed = false;
  /** A watched key changed. */
  dirty = false;
  watched: WatchedKey[] = [];
  /** With a Redis store: this client's own connection, holding its WATCH. */
  storeConn: RawConnection | null = null;
  storeWatching = false;
  storeGeneration = 0;
  /** The protocol the own connection speaks now (HELLO may have changed it), valid for storeProtoGen. */
  storeProto: 2 | 3 = 2;
  storeProtoGen = 0;

  get active(): boolean {
    return this.queue !== null;
  }

  queued(args: Buffer[]): void {
    this.queue!.push(args);
    for (const a of args) this.queueBytes += a.length;
  }

  /** Leaves MULTI, keeping WATCH. */
  endMulti(): void {
    this.queue = null;
    this.queueBytes = 0;
    this.failed = false;
  }
}

/**
 * Keeps other clients' commands out while one EXEC runs asynchronously (a load, a Redis store),
 * and knows how many commands are in flight so an EXEC can wait for them to finish first.
 */
export class Exclusive {
  #owner: Client | null = null;
  #released: Promise<void> | null = null;
  #release: (() => void) | null = null;
  readonly #inflight = new Map<Client, number>();
  #total = 0;
  #idle: (() => void)[] = [];

  /** True when another client holds it: that client's commands must wait. */
  blocks(c: Client): boolean {
    return this.#owner !== null && this.#owner !== c;
  }

  /** Resolves when the current holder lets go. */
  get released(): Promise<void> {
    return this.#released ?? Promise.resolve();
  }

  acquire(c: Client): void {
    if (this.#owner === c) return;
    this.#owner = c;
    this.#released = new Promise((r) => (this.#release = r));
  }

  release(c: Client): void {
    if (this.#owner !== c) return;
    this.#owner = null;
    const r = this.#release;
    this.#released = this.#release = null;
    r?.();
  }

  /** An async command of `c` started / settled (socket.ts). */
  started(c: Client): void {
    this.#total++;
    this.#inflight.set(c, (this.#inflight.get(c) ?? 0) + 1);
  }
  settled(c: Client): void {
    this.#total--;
    const n = (this.#inflight.get(c) ?? 1) - 1;
    if (n === 0) this.#inflight.delete(c);
    else this.#inflight.set(c, n);
    if (this.#idle.length > 0 && this.#othersInFlight() === 0) for (const r of this.#idle.splice(0)) r();
  }

  #othersInFlight(): number {
    return this.#owner === null ? this.#total : this.#total - (this.#inflight.get(this.#owner) ?? 0);
  }

  /** Async commands of clients other than `c` still running. */
  othersInFlight(c: Client): number {
    return this.#total - (this.#inflight.get(c) ?? 0);
  }

  /** Resolves when only the holder's own commands are in flight. */
  idle(): Promise<void> {
    return this.#othersInFlight() === 0 ? Promise.resolve() : new Promise((r) => this.#idle.push(r));
  }
}

export function multi(c: Client): Reply {
  if (c.tx.active) return new ErrorReply("ERR MULTI calls can not be nested");
  c.tx.queue = [];
  return OK;
}

export function discard(c: Client): Reply | Promise<Reply> {
  if (!c.tx.active) return new ErrorReply("ERR DISCARD without MULTI");
  c.tx.endMulti();
  return after(unwatch(c), () => OK);
}

export function watch(c: Client, keys: Buffer[]): Reply | Promise<Reply> {
  if (c.tx.active) return new ErrorReply("ERR WATCH inside MULTI is not allowed");
  const s = c.server;
  if (s.store === null) {
    const store = s.databases.store(c.db) as { expiresAt?(k: Uint8Array): number };
    for (const key of keys) {
      const id = keyId(key);
      if (c.tx.watched.some((w) => w.db === c.db && w.id === id)) continue;
      c.tx.watched.push({ db: c.db, id, expiresAt: Math.max(0, store.expiresAt?.(key) ?? 0) });
      s.watches.add(c.tx, c.db, id);
    }
    return OK;
  }
  return watchOnStore(c, keys);
}

async function watchOnStore(c: Client, keys: Buffer[]): Promise<Reply> {
  const link = c.server.store!;
  const tx = c.tx;
  // A cluster's WATCH lives on one master: the one of the first key's slot. Keys of one WATCH in
  // two slots are Redis's to refuse (CROSSSLOT); a later WATCH must stay on the same master.
  const apart = tx.storeWatching ? link.apart(keys, tx.storeConn) : null;
  if (apart !== null) return new ErrorReply(apart);
  for (let attempt = 0; ; attempt++) {
    const conn = storeConnection(c, keys);
    try {
      const replies = await conn.sendMany([[B.SELECT, Buffer.from(String(c.db))], [B.WATCH, ...keys]]);
      const moved = link.cluster ? link.redirectedOn(replies[1], conn) : null;
      // The slot map was stale: with nothing watched yet, once more on the master it now names.
      if (moved !== null && attempt === 0 && !tx.storeWatching) continue;
      if (moved !== null) return new ErrorReply(moved);
      if (replies[1][0] === 0x2d) return new RawReply(replies[1]);
      if (!tx.storeWatching) tx.storeGeneration = conn.generation;
      tx.storeWatching = true;
      return OK;
    } catch (e) {
      return link.unavailable(e);
    }
  }
}

/** UNWATCH, and what EXEC, DISCARD and RESET do. */
export function unwatch(c: Client): void | Promise<void> {
  const tx = c.tx;
  for (const w of tx.watched) c.server.watches.remove(tx, w.db, w.id);
  tx.watched = [];
  tx.dirty = false;
  if (tx.storeWatching && tx.storeConn) {
    tx.storeWatching = false;
    return tx.storeConn.send([B.UNWATCH]).then(
      () => {},
      () => {}, // a lost connection dropped the WATCH anyway
    );
  }
}

/**
 * The client's own store connection (Redis store only), speaking its protocol. In a cluster it goes to
 * the master of `keys[0]`'s slot: one not holding a WATCH is replaced when that is another master.
 */
function storeConnection(c: Client, keys: readonly Buffer[] = []): RawConnection {
  const tx = c.tx;
  const link = c.server.store!;
  if (tx.storeConn && !tx.storeWatching && link.cluster && keys.length > 0 && link.nodeOf(tx.storeConn) !== link.nodeFor(keys)) {
    link.release(tx.storeConn);
    tx.storeConn = null;
  }
  if (!tx.storeConn) {
    tx.storeConn = link.dedicated(c.db, c.proto, keys);
    tx.storeProto = c.proto;
    tx.storeProtoGen = tx.storeConn.generation;
  }
  return tx.storeConn;
}

type Resolve = (s: ServerContext, name: Buffer) => CommandSpec | undefined;

export function exec(c: Client, resolve: Resolve): Reply | Promise<Reply> {
  const tx = c.tx;
  if (!tx.active) return new ErrorReply("ERR EXEC without MULTI");
  const queue = tx.queue!;
  const failed = tx.failed;
  if (failed) {
    tx.endMulti();
    return after(unwatch(c), () => EXECABORT);
  }
  if (c.server.store !== null) return execOnStore(c, queue, resolve);
  const now = (c.server.databases as { clock?: () => number }).clock?.() ?? Date.now();
  const expired = tx.watched.some((w) => w.expiresAt > 0 && w.expiresAt <= now);
  const dirty = tx.dirty || expired;
  unwatch(c); // before running: the transaction's own writes must not mark it dirty
  if (dirty) {
    tx.endMulti();
    return NULL_ARRAY;
  }
  const ex = c.server.exclusive;
  if (ex.othersInFlight(c) === 0) return runQueued(c, queue, 0, [], false);
  // Another client's command is half done (a load): wait for it, keeping new ones out.
  ex.acquire(c);
  return ex.idle().then(() => runQueued(c, queue, 0, [], true));
}

/** Runs the queue in order; goes asynchronous, holding the server, at the first async command. */
function runQueued(c: Client, queue: Buffer[][], from: number, replies: Reply[], locked: boolean): Reply | Promise<Reply> {
  const ex = c.server.exclusive;
  for (let i = from; i < queue.length; i++) {
    let r: Reply | Promise<Reply>;
    try {
      r = c.run(queue[i]);
    } catch (e) {
      r = new ErrorReply(errorText(e));
    }
    if (r instanceof Promise) {
      if (!locked) ex.acquire(c);
      return r
        .catch((e: unknown) => new ErrorReply(errorText(e)))
        .then((v) => {
          replies.push(v);
          return runQueued(c, queue, i + 1, replies, true);
        })
        .catch((e: unknown) => {
          done(c, true);
          throw e;
        });
    }
    replies.push(r);
  }
  done(c, locked);
  return replies;
}

function done(c: Client, locked: boolean): void {
  c.tx.endMulti();
  if (locked) c.server.exclusive.release(c);
}

/**
 * With a Redis store. When every queued command is one Redis runs as it is (and no trigger would
 * fire), the whole transaction goes to the store as MULTI ... EXEC on the client's own connection:
 * Redis's semantics exactly, WATCH included, against every client of the store. Otherwise the
 * WATCH is checked on the store first, then the commands run here with this server's other clients
 * kept out; writes by the store's other clients may land between them (docs/commands.md).
 */
async function execOnStore(c: Client, queue: Buffer[][], resolve: Resolve): Promise<Reply> {
  const s = c.server;
  const link = s.store!;
  const tx = c.tx;
  const specs = queue.map((args) => resolve(s, args[0]));
  // The whole-keyspace commands (KEYS, DBSIZE, FLUSHDB, ...) run here: they span masters and keep the registry.
  const native = specs.every((spec) => spec?.native === true && !s.triggers.wouldFire(spec.name) && !link.runsItself(spec.name));
  const conn = tx.storeConn;
  if (tx.storeWatching && conn && conn.generation !== tx.storeGeneration) {
    // The connection holding the WATCH was lost, so a change cannot be ruled out.
    tx.storeWatching = false;
    tx.endMulti();
    return NULL_ARRAY;
  }
  if (native) {
    // A cluster runs a transaction on one master (the WATCH's, or the first key's).
    const keys = link.cluster ? queue.flatMap((args, i) => commandKeys(specs[i]!, args)) : [];
    const apart = link.apart(keys, tx.storeWatching ? conn : null);
    if (apart !== null) {
      tx.endMulti();
      await unwatch(c);
      return new ErrorReply(apart);
    }
    const own = storeConnection(c, keys);
    // A reconnected connection speaks the protocol it was made with again.
    if (tx.storeProtoGen !== own.generation) tx.storeProto = own.options.proto;
    const pre: Buffer[][] = [[B.SELECT, Buffer.from(String(c.db))]];
    if (tx.storeProto !== c.proto) pre.push([B.HELLO, Buffer.from(String(c.proto))]);
    for (const args of queue) feedMonitors(c, args);
    try {
      const replies = await own.sendMany([...pre, [B.MULTI], ...queue, [B.EXEC]]);
      tx.storeProto = c.proto;
      tx.storeProtoGen = own.generation;
      tx.storeWatching = false; // EXEC ends WATCH on the store
      if (link.cluster) {
        // A slot that moved since the map was read: Redis refused it while queuing, so nothing ran.
        for (let i = pre.length + 1; i < replies.length - 1; i++) {
          const moved = link.redirectedOn(replies[i], own);
          if (moved !== null) return new ErrorReply(moved);
        }
      }
      return new RawReply(replies[replies.length - 1]);
    } catch (e) {
      return link.unavailable(e);
    } finally {
      tx.endMulti();
    }
  }
  const ex = s.exclusive;
  ex.acquire(c);
  try {
    await ex.idle();
    if (tx.storeWatching && conn) {
      const check = await conn.sendMany([[B.MULTI], [B.EXEC]]).catch((e: unknown) => e as Error);
      tx.storeWatching = false;
      if (check instanceof Error) {
        tx.endMulti();
        return link.unavailable(check);
      }
      const r = check[1];
      if (r[0] === 0x5f || (r[0] === 0x2a && r[1] === 0x2d)) {
        tx.endMulti();
        return NULL_ARRAY; // _ or *-1: a watched key changed
      }
    }
    const out = await runQueued(c, queue, 0, [], true);
    return out;
  } finally {
    tx.endMulti();
    ex.release(c);
  }
}

/** MONITOR lines for commands the store ran inside one MULTI/EXEC. */
function feedMonitors(c: Client, args: Buffer[]): void {
  if (c.server.monitors.size > 0) c.showToMonitors(args);
}

/** Drops the client's store connection (client closed). */
export function closeTransaction(c: Client): void {
  unwatch(c);
  c.tx.endMulti();
  if (c.tx.storeConn) c.server.store?.release(c.tx.storeConn);
  c.tx.storeConn = null;
}

function after<T>(v: void | Promise<void>, f: () => T): T | Promise<T> {
  return v instanceof Promise ? v.then(f) : f();
}

const B = {
  SELECT: Buffer.from("SELECT"),
  WATCH: Buffer.from("WATCH"),
  UNWATCH: Buffer.from("UNWATCH"),
  MULTI: Buffer.from("MULTI"),
  EXEC: Buffer.from("EXEC"),
  HELLO: Buffer.from("HELLO"),
};
