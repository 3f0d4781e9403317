// A bounded, id-ordered ring of stream entries: the newest `capacity` are kept, and the id of the
// newest one pushed out is remembered, so a reader whose cursor is older can be told it missed some.
import { compareIds, type EntryId } from "./entries.js";

export class Ring<T extends EntryId> {
  #buf: T[] = [];
  #start = 0;
  #capacity: number;
  /** The newest entry dropped to make room, or null. */
  evictedUpTo: EntryId | null = null;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#buf.length;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** The i-th entry, oldest first. */
  at(i: number): T {
    return this.#buf[(this.#start + i) % this.#buf.length];
  }

  get newest(): T | undefined {
    return this.#buf.length === 0 ? undefined : this.at(this.#buf.length - 1);
  }

  push(entry: T): void {
    if (this.#capacity === 0) {
      this.evictedUpTo = entry;
      return;
    }
    if (this.#buf.length < this.#capacity) {
      this.#buf.push(entry);
      return;
    }
    this.evictedUpTo = this.#buf[this.#start];
    this.#buf[this.#start] = entry;
    this.#start = (this.#start + 1) % this.#capacity;
  }

  /** Index of the first entry whose id is after `id` (size when none). */
  firstAfter(id: EntryId): number {
    let lo = 0;
    let hi = this.#buf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(this.at(mid), id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Entries [from, to), oldest first. */
  slice(from: number, to = this.#buf.length): T[] {
    const out: T[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.#buf.length); i++) out.push(this.at(i));
    return out;
  }

  /** Keeps the newest `capacity` entries. */
  resize(capacity: number): void {
    const all = this.slice(0);
    const drop = Math.max(0, all.length - capacity);
    if (drop > 0) this.evictedUpTo = all[drop - 1];
    this.#buf = all.slice(drop);
    this.#start = 0;
    this.#capacity = capacity;
  }
}
