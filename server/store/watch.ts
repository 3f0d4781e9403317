// WATCH: which clients watch which keys, per database, as Redis's watched_keys dictionary. A write
// marks every client watching that key dirty, so its next EXEC fails with a null reply. Only watched
// keys cost anything; with no watcher a write pays one boolean test.

/** A client's side of WATCH: set dirty by any write to a key it watches. */
export interface Watcher {
  dirty: boolean;
}

export class Watches {
  readonly #dbs = new Map<number, Map<string, Set<Watcher>>>();
  #count = 0;

  /** True when some client watches some key. */
  get active(): boolean {
    return this.#count > 0;
  }

  add(w: Watcher, db: number, id: string): void {
    let keys = this.#dbs.get(db);
    if (!keys) this.#dbs.set(db, (keys = new Map()));
    let set = keys.get(id);
    if (!set) keys.set(id, (set = new Set()));
    if (!set.has(w)) {
      set.add(w);
      this.#count++;
    }
  }

  remove(w: Watcher, db: number, id: string): void {
    const keys = this.#dbs.get(db);
    const set = keys?.get(id);
    if (!set?.delete(w)) return;
    this.#count--;
    if (set.size === 0) keys!.delete(id);
    if (keys!.size === 0) this.#dbs.delete(db);
  }

  /** A write to `id` in `db`. */
  touch(db: number, id: string): void {
    const set = this.#dbs.get(db)?.get(id);
    if (set) for (const w of set) w.dirty = true;
  }

  /** Watched keys of `db` (FLUSHDB, SWAPDB decide which of them changed). */
  keys(db: number): string[] {
    return [...(this.#dbs.get(db)?.keys() ?? [])];
  }
}
