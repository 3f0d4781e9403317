// What the server's key commands (GET, SET, DEL, SCAN, ...) need from a keyspace. The embedded
// MemoryStore answers synchronously; a real Redis answers with promises. Functions never use this:
// they go through the synchronous Store interface (store.ts).
import type { MemoryStore } from "../../runtime-sim/index.js";
import { globMatch, keyId } from "../../runtime-sim/host.js";
import { CommandError } from "../resp.js";
import { addDecimals, parseDecimal, type Decimal } from "./long-double.js";

export { addDecimals, parseDecimal, type Decimal } from "./long-double.js";

export type MaybePromise<T> = T | Promise<T>;
export type ExpireCondition = "NX" | "XX" | "GT" | "LT";

export interface SetOptions {
  condition?: "NX" | "XX";
  /** Also return the previous value (SET ... GET). */
  get?: boolean;
  /** Expire after this many ms (EX, PX). */
  ttlMs?: number;
  /** Expire at this time, ms since epoch (EXAT, PXAT). */
  expireAtMs?: number;
  /** Keep the key's current expiry (KEEPTTL). */
  keepTtl?: boolean;
}

export interface SetOutcome {
  written: boolean;
  previous: Uint8Array | null;
}

export interface ScanPage {
  cursor: string;
  keys: Uint8Array[];
}

/** A Redis-style failure (WRONGTYPE, not an integer, STORE when the store is down); `reply` is the error line. */
export class KeyspaceError extends CommandError {
  constructor(reply: string) {
    super(reply);
    this.name = `KeyspaceError [${this.code}]`;
  }
}

export const NOT_INTEGER = "ERR value is not an integer or out of range";

export interface Keyspace {
  readonly kind: "memory" | "redis";
  get(key: Uint8Array): MaybePromise<Uint8Array | null>;
  set(key: Uint8Array, value: Uint8Array, options: SetOptions): MaybePromise<SetOutcome>;
  mget(keys: Uint8Array[]): MaybePromise<(Uint8Array | null)[]>;
  mset(pairs: [Uint8Array, Uint8Array][]): MaybePromise<void>;
  incrBy(key: Uint8Array, delta: bigint): MaybePromise<bigint>;
  del(keys: Uint8Array[]): MaybePromise<number>;
  exists(keys: Uint8Array[]): MaybePromise<number>;
  keys(pattern: Uint8Array): MaybePromise<Uint8Array[]>;
  scan(cursor: string, match: Uint8Array | null, count: number, type: string | null): MaybePromise<ScanPage>;
  /** -2 missing, -1 no expiry, else ms left. */
  pttl(key: Uint8Array): MaybePromise<number>;
  /** Sets a relative expiry; ms <= 0 deletes the key. False when missing or the condition fails. */
  pexpire(key: Uint8Array, ms: number, condition?: ExpireCondition): MaybePromise<boolean>;
  persist(key: Uint8Array): MaybePromise<boolean>;
  dbsize(): MaybePromise<number>;
  flush(): MaybePromise<void>;
  type(key: Uint8Array): MaybePromise<string>;
  /** Keys and keys with an expiry, for INFO keyspace. */
  info(): MaybePromise<{ keys: number; expires: number }>;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Redis's string2ll: no sign but '-', no leading zeros, no spaces. */
const INTEGER = /^(0|-?[1-9][0-9]{0,19})$/;

export function parseInt64(text: string): bigint | null {
  if (!INTEGER.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/** The embedded keyspace: the MemoryStore functions use, plus the key commands' semantics. */
export class MemoryKeyspace implements Keyspace {
  readonly kind = "memory";
  readonly #cursors = new Map<string, string>(); // SCAN cursor -> last key id returned
  #nextCursor = 1;

  constructor(
    readonly store: MemoryStore,
    readonly clock: () => number = Date.now,
  ) {}

  get(key: Uint8Array): Uint8Array | null {
    return this.store.get(key);
  }

  set(key: Uint8Array, value: Uint8Array, o: SetOptions): SetOutcome {
    const exp = this.store.expiresAt(key);
    const previous = o.get ? this.store.get(key) : null;
    if ((o.condition === "NX" && exp !== -1) || (o.condition === "XX" && exp === -1)) return { written: false, previous };
    // Copy: request buffers are slices of a socket chunk, which a stored slice would keep alive.
    this.store.set(key, new Uint8Array(value), o.ttlMs ?? 0);
    if (o.expireAtMs !== undefined) this.#expireAt(key, o.expireAtMs);
    else if (o.keepTtl && exp > 0) this.store.setExpiry(key, exp);
    return { written: true, previous };
  }

  mget(keys: Uint8Array[]): (Uint8Array | null)[] {
    return keys.map((k) => this.store.get(k));
  }

  mset(pairs: [Uint8Array, Uint8Array][]): void {
    for (const [k, v] of pairs) this.store.set(k, new Uint8Array(v));
  }

  incrBy(key: Uint8Array, delta: bigint): bigint {
    const current = this.store.get(key);
    const base = current === null ? 0n : parseInt64(Buffer.from(current).toString("latin1"));
    if (base === null) throw new KeyspaceError(NOT_INTEGER);
    const next = base + delta;
    if (next < INT64_MIN || next > INT64_MAX) throw new KeyspaceError("ERR increment or decrement would overflow");
    const exp = this.store.expiresAt(key);
    this.store.set(key, String(next));
    if (exp > 0) this.store.setExpiry(key, exp); // INCR keeps the expiry
    return next;
  }

  del(keys: Uint8Array[]): number {
    let n = 0;
    for (const k of keys) if (this.store.delete(k)) n++;
    return n;
  }

  exists(keys: Uint8Array[]): number {
    let n = 0;
    for (const k of keys) if (this.store.exists(k)) n++;
    return n;
  }

  keys(pattern: Uint8Array): Uint8Array[] {
    const p = latin1(pattern);
    if (p === "*") return this.store.keys();
    return this.store.keys().filter((k) => globMatch(p, keyId(k)));
  }

  scan(cursor: string, match: Uint8Array | null, count: number, type: string | null): ScanPage {
    // Sorted order plus a remembered last key: keys present for the whole scan are returned once.
    const after = cursor === "0" ? null : this.#cursors.get(cursor) ?? null;
    this.#cursors.delete(cursor);
    const ids = this.store.keys().map(keyId).sort();
    let start = 0;
    if (after !== null) {
      while (start < ids.length && ids[start] <= after) start++;
    }
    const page = ids.slice(start, start + Math.max(1, count));
    const done = start + page.length >= ids.length;
    const p = match === null ? null : latin1(match);
    const keys = page
      .filter((id) => (p === null || globMatch(p, id)) && (type === null || type.toLowerCase() === "string"))
      .map((id) => new Uint8Array(Buffer.from(id, "latin1")));
    if (done) return { cursor: "0", keys };
    const next = String(this.#nextCursor++);
    this.#cursors.set(next, page[page.length - 1]);
    if (this.#cursors.size > 1024) this.#cursors.delete(this.#cursors.keys().next().value!);
    return { cursor: next, keys };
  }

  pttl(key: Uint8Array): number {
    const exp = this.store.expiresAt(key);
    if (exp <= 0) return exp === 0 ? -1 : -2;
    return Math.max(0, exp - this.clock());
  }

  pexpire(key: Uint8Array, ms: number, condition?: ExpireCondition): boolean {
    return this.expireAt(key, this.clock() + ms, condition ? [condition] : []);
  }

  /** EXPIRE and friends at an absolute time, with any mix of NX XX GT LT Redis accepts. */
  expireAt(key: Uint8Array, at: number, conditions: readonly ExpireCondition[]): boolean {
    const exp = this.store.expiresAt(key);
    if (exp === -1) return false;
    for (const condition of conditions) {
      if (condition === "NX" && exp !== 0) return false;
      if (condition === "XX" && exp === 0) return false;
      if (condition === "GT" && (exp === 0 || at <= exp)) return false; // no expiry counts as forever
      if (condition === "LT" && exp !== 0 && at >= exp) return false;
    }
    this.#expireAt(key, at);
    return true;
  }

  #expireAt(key: Uint8Array, at: number): void {
    if (at <= this.clock()) this.store.delete(key);
    else this.store.setExpiry(key, at);
  }

  persist(key: Uint8Array): boolean {
    return this.store.expiresAt(key) > 0 && this.store.setExpiry(key, 0);
  }

  dbsize(): number {
    return this.store.size;
  }

  flush(): void {
    this.store.clear();
    this.#cursors.clear();
  }

  type(key: Uint8Array): string {
    return this.store.exists(key) ? "string" : "none";
  }

  // Beyond the Keyspace interface: the embedded store's own string and key commands. With a Redis
  // store these commands go to Redis as they are, so only this class implements them.

  strlen(key: Uint8Array): number {
    return this.store.get(key)?.byteLength ?? 0;
  }

  /** APPEND: the new length; the expiry stays. */
  append(key: Uint8Array, value: Uint8Array): number {
    const current = this.store.get(key);
    const next = current === null ? new Uint8Array(value) : concat(current, value);
    this.#replace(key, next);
    return next.byteLength;
  }

  getdel(key: Uint8Array): Uint8Array | null {
    const v = this.store.get(key);
    if (v !== null) this.store.delete(key);
    return v;
  }

  /** GETEX: `expireAtMs` undefined keeps the expiry, 0 removes it (PERSIST). */
  getex(key: Uint8Array, expireAtMs: number | undefined): Uint8Array | null {
    const v = this.store.get(key);
    if (v === null || expireAtMs === undefined) return v;
    if (expireAtMs === 0) {
      if (this.store.expiresAt(key) > 0) this.store.setExpiry(key, 0);
    } else this.#expireAt(key, expireAtMs);
    return v;
  }

  getrange(key: Uint8Array, start: number, end: number): Uint8Array {
    const v = this.store.get(key);
    if (v === null) return EMPTY;
    const n = v.byteLength;
    if (start < 0 && end < 0 && start > end) return EMPTY;
    let s = start < 0 ? n + start : start;
    let e = end < 0 ? n + end : end;
    if (s < 0) s = 0;
    if (e < 0) e = 0;
    if (e >= n) e = n - 1;
    if (s > e || n === 0) return EMPTY;
    return v.subarray(s, e + 1);
  }

  /** SETRANGE: the new length. `max` is the largest string allowed. */
  setrange(key: Uint8Array, offset: number, value: Uint8Array, max: number): number {
    const current = this.store.get(key);
    if (value.byteLength === 0) return current?.byteLength ?? 0; // Redis: nothing written, not even a new key
    if (offset + value.byteLength > max) throw new KeyspaceError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    const length = Math.max(current?.byteLength ?? 0, offset + value.byteLength);
    const next = new Uint8Array(length);
    if (current) next.set(current);
    next.set(value, offset);
    this.#replace(key, next);
    return length;
  }

  /** INCRBYFLOAT: the new value as Redis prints it. */
  incrByFloat(key: Uint8Array, delta: Decimal | "inf"): string {
    const current = this.store.get(key);
    const base = current === null ? { m: 0n, e: 0 } : parseDecimal(Buffer.from(current).toString("latin1"));
    if (base === null) throw new KeyspaceError("ERR value is not a valid float");
    const text = base === "inf" || delta === "inf" ? null : addDecimals(base, delta);
    if (text === null) throw new KeyspaceError("ERR increment would produce NaN or Infinity");
    this.#replace(key, Buffer.from(text, "latin1"));
    return text;
  }

  /** MSETNX: all or none; true when they were set. */
  msetnx(pairs: [Uint8Array, Uint8Array][]): boolean {
    for (const [k] of pairs) if (this.store.exists(k)) return false;
    this.mset(pairs);
    return true;
  }

  /** RENAME (nx false) or RENAMENX: false when nx and the destination exists. */
  rename(src: Uint8Array, dst: Uint8Array, nx: boolean): boolean {
    const value = this.store.get(src);
    if (value === null) throw new KeyspaceError("ERR no such key");
    if (keyId(src) === keyId(dst)) return !nx;
    if (nx && this.store.exists(dst)) return false;
    const exp = this.store.expiresAt(src);
    this.store.delete(src);
    this.store.set(dst, value);
    if (exp > 0) this.store.setExpiry(dst, exp);
    return true;
  }

  /** COPY into `target` (this database or another): false when the destination exists and !replace. */
  copyTo(src: Uint8Array, target: MemoryKeyspace, dst: Uint8Array, replace: boolean): boolean {
    const value = this.store.get(src);
    if (value === null) return false;
    if (!replace && target.store.exists(dst)) return false;
    const exp = this.store.expiresAt(src);
    target.store.set(dst, new Uint8Array(value));
    if (exp > 0) target.store.setExpiry(dst, exp);
    return true;
  }

  /** MOVE to another database: false when missing here or present there. */
  moveTo(key: Uint8Array, target: MemoryKeyspace): boolean {
    if (!this.store.exists(key) || target.store.exists(key)) return false;
    this.copyTo(key, target, key, false);
    this.store.delete(key);
    return true;
  }

  randomKey(): Uint8Array | null {
    const keys = this.store.keys();
    return keys.length === 0 ? null : keys[Math.floor(Math.random() * keys.length)];
  }

  /** EXPIRETIME/PEXPIRETIME in ms: -2 missing, -1 no expiry. */
  pexpireTime(key: Uint8Array): number {
    const exp = this.store.expiresAt(key);
    return exp <= 0 ? (exp === 0 ? -1 : -2) : exp;
  }

  /** Writes a new value keeping the key's expiry (APPEND, SETRANGE, INCRBYFLOAT). */
  #replace(key: Uint8Array, value: Uint8Array): void {
    const exp = this.store.expiresAt(key);
    this.store.set(key, value);
    if (exp > 0) this.store.setExpiry(key, exp);
  }

  info(): { keys: number; expires: number } {
    const keys = this.store.keys();
    let expires = 0;
    for (const k of keys) if (this.store.expiresAt(k) > 0) expires++;
    return { keys: keys.length, expires };
  }
}

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}
