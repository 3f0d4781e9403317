// The embedded store: binary-safe keys and values, with optional expiry (ms since epoch).
import type { KeyWrite } from "../options.js";
import { keyBytes, keyId, toBytes, type Store } from "./store.js";

interface Entry {
  value: Uint8Array;
  /** Expiry time in ms since epoch; 0 means none. */
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** Clock used for expiry. Default: Date.now. */
  clock?: () => number;
}

export class MemoryStore implements Store {
  readonly #data = new Map<string, Entry>();
  readonly #clock: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  #live(id: string): Entry | undefined {
    const e = this.#data.get(id);
    if (e && e.expiresAt !== 0 && e.expiresAt <= this.#clock()) {
      this.#data.delete(id);
      return undefined;
    }
    return e;
  }

  get(key: Uint8Array): Uint8Array | null {
    return this.#live(keyId(key))?.value ?? null;
  }

  exists(key: Uint8Array): boolean {
    return this.#live(keyId(key)) !== undefined;
  }

  apply(writes: readonly KeyWrite[]): void {
    // A function's SET replaces the value and clears any expiry, as Redis SET does.
    for (const w of writes) {
      const id = keyId(w.key);
      if (w.value === null) this.#data.delete(id);
      else this.#data.set(id, { value: w.value, expiresAt: 0 });
    }
  }

  // Conveniences for tests and the server's key commands.

  /** Sets a key; `ttlMs` > 0 makes it expire. Strings are stored as UTF-8. */
  set(key: string | Uint8Array, value: string | Uint8Array, ttlMs = 0): void {
    this.#data.set(keyId(toBytes(key)), { value: toBytes(value), expiresAt: ttlMs > 0 ? this.#clock() + ttlMs : 0 });
  }

  delete(key: string | Uint8Array): boolean {
    const id = keyId(toBytes(key));
    const had = this.#live(id) !== undefined;
    this.#data.delete(id);
    return had;
  }

  /** The value as UTF-8 text, or null. */
  getString(key: string | Uint8Array): string | null {
    const v = this.get(toBytes(key));
    return v === null ? null : Buffer.from(v).toString("utf8");
  }

  /** Expiry of a key in ms since epoch: 0 none, -1 missing. */
  expiresAt(key: string | Uint8Array): number {
    const e = this.#live(keyId(toBytes(key)));
    return e ? e.expiresAt : -1;
  }

  /** Sets (ms since epoch) or clears (0) a key's expiry; false when the key is missing. */
  setExpiry(key: string | Uint8Array, expiresAt: number): boolean {
    const e = this.#live(keyId(toBytes(key)));
    if (!e) return false;
    e.expiresAt = expiresAt;
    return true;
  }

  /** Every live key. */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const id of [...this.#data.keys()]) if (this.#live(id)) out.push(keyBytes(id));
    return out;
  }

  get size(): number {
    return this.keys().length;
  }

  clear(): void {
    this.#data.clear();
  }

  /** A plain copy of the keyspace as UTF-8 text, for assertions in tests. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of this.keys()) out[Buffer.from(k).toString("utf8")] = this.getString(k)!;
    return out;
  }
}
