// SELECT's numbered databases on the embedded store: one MemoryStore per database, made on first
// use, each telling the WATCH registry about every key it changes. Functions called from a client
// in database n read and write database n (the runtime takes the store per call).
import { MemoryStore, type KeyWrite } from "../../runtime-sim/index.js";
import { keyId, toBytes } from "../../runtime-sim/host.js";
import { MemoryKeyspace } from "./keyspace.js";
import type { Watches } from "./watch.js";

/** One database: a MemoryStore whose writes reach WATCH. */
export class Database extends MemoryStore {
  constructor(
    /** Its number; changes when SWAPDB swaps it with another. */
    public index: number,
    readonly watches: Watches,
    clock: () => number,
  ) {
    super({ clock });
  }

  override apply(writes: readonly KeyWrite[]): void {
    super.apply(writes);
    if (this.watches.active) for (const w of writes) this.watches.touch(this.index, keyId(w.key));
  }

  override set(key: string | Uint8Array, value: string | Uint8Array, ttlMs = 0): void {
    super.set(key, value, ttlMs);
    if (this.watches.active) this.watches.touch(this.index, keyId(toBytes(key)));
  }

  override delete(key: string | Uint8Array): boolean {
    const had = super.delete(key);
    if (had && this.watches.active) this.watches.touch(this.index, keyId(toBytes(key)));
    return had;
  }

  override setExpiry(key: string | Uint8Array, expiresAt: number): boolean {
    const ok = super.setExpiry(key, expiresAt);
    if (ok && this.watches.active) this.watches.touch(this.index, keyId(toBytes(key)));
    return ok;
  }

  override clear(): void {
    // As Redis's FLUSHDB: watchers of keys that existed see a change.
    if (this.watches.active) for (const id of this.watches.keys(this.index)) if (this.existsId(id)) this.watches.touch(this.index, id);
    super.clear();
  }

  existsId(id: string): boolean {
    return this.exists(Buffer.from(id, "latin1"));
  }
}

interface Slot {
  store: Database;
  keyspace: MemoryKeyspace;
}

export class MemoryDatabases {
  readonly kind = "memory";
  readonly home = 0;
  readonly #slots: (Slot | undefined)[];

  constructor(
    readonly count: number,
    readonly watches: Watches,
    readonly clock: () => number,
  ) {
    this.#slots = new Array(count);
  }

  #slot(db: number): Slot {
    let slot = this.#slots[db];
    if (!slot) {
      const store = new Database(db, this.watches, this.clock);
      slot = this.#slots[db] = { store, keyspace: new MemoryKeyspace(store, this.clock) };
    }
    return slot;
  }

  store(db: number): Database {
    return this.#slot(db).store;
  }

  keyspace(db: number): MemoryKeyspace {
    return this.#slot(db).keyspace;
  }

  /** SWAPDB: clients of each database see the other's keys from now on. */
  swap(a: number, b: number): void {
    if (a === b) return;
    const sa = this.#slot(a);
    const sb = this.#slot(b);
    if (this.watches.active) {
      for (const [db, other] of [[a, sb], [b, sa]] as const) {
        const own = db === a ? sa : sb;
        for (const id of this.watches.keys(db)) if (own.store.existsId(id) || other.store.existsId(id)) this.watches.touch(db, id);
      }
    }
    this.#slots[a] = sb;
    this.#slots[b] = sa;
    sa.store.index = b;
    sb.store.index = a;
  }

  /** FLUSHALL. */
  flushAll(): void {
    for (const slot of this.#slots) slot?.keyspace.flush();
  }

  /** Databases holding keys, for INFO keyspace. */
  *used(): Generator<[number, MemoryKeyspace]> {
    for (let db = 0; db < this.#slots.length; db++) {
      const slot = this.#slots[db];
      if (slot && slot.store.size > 0) yield [db, slot.keyspace];
    }
  }
}
