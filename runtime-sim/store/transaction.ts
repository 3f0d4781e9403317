// A call's view of the store: its own writes are visible to its own reads; nothing reaches the
// store until commit, so a failed call leaves the keyspace exactly as it was.
import type { KeyWrite, RecordedRead } from "../options.js";
import type { WaitBudget } from "../limits/deadline.js";
import { keyId, type Store } from "./store.js";

export class Transaction {
  #store: Store;
  #budget: WaitBudget | undefined;
  readonly #overlay = new Map<string, Uint8Array | null>();
  readonly writes: KeyWrite[] = [];
  /** The store's answers, while a call is recorded (flight recorder); null otherwise. */
  reads: RecordedRead[] | null = null;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Starts over on another (or the same) store; reused across calls to avoid allocation. Every
   * store wait of the call is bounded by `budget` (the call's remaining time). */
  reset(store: Store, budget?: WaitBudget): void {
    this.#store = store;
    this.#budget = budget;
    if (this.writes.length > 0) {
      this.#overlay.clear();
      this.writes.length = 0;
    }
  }

  get(key: Uint8Array): Uint8Array | null {
    if (this.writes.length > 0) {
      const id = keyId(key);
      if (this.#overlay.has(id)) return this.#overlay.get(id)!;
    }
    const value = this.#store.get(key, this.#budget);
    this.reads?.push({ key, value });
    return value;
  }

  exists(key: Uint8Array): boolean {
    if (this.writes.length > 0) {
      const id = keyId(key);
      if (this.#overlay.has(id)) return this.#overlay.get(id) !== null;
    }
    const exists = this.#store.exists(key, this.#budget);
    this.reads?.push({ key, exists });
    return exists;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.#overlay.set(keyId(key), value);
    this.writes.push({ key, value });
  }

  /** Deletes; true when the key existed (as seen by this call). */
  del(key: Uint8Array): boolean {
    const existed = this.exists(key);
    this.#overlay.set(keyId(key), null);
    this.writes.push({ key, value: null });
    return existed;
  }

  /** Hands the writes to the store as one batch; returns what was written. */
  commit(): KeyWrite[] {
    if (this.writes.length === 0) return [];
    const done = this.writes.slice();
    this.#store.apply(done, this.#budget);
    return done;
  }
}
