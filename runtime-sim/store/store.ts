// The keyspace as the runtime sees it: bytes in, bytes out. Calls read through a Transaction
// and hand the store one batch of writes at the end, or nothing.
// A store that waits (on another process) must give up within `budget.remainingMs`, the time the
// call has left; the call then fails with its timeout error.
import type { KeyWrite } from "../options.js";
import type { WaitBudget } from "../limits/deadline.js";

export interface Store {
  /** The value of `key`, or null when it does not exist. */
  get(key: Uint8Array, budget?: WaitBudget): Uint8Array | null;
  /** Whether `key` exists. */
  exists(key: Uint8Array, budget?: WaitBudget): boolean;
  /** Applies a successful call's writes as one atomic step (value null deletes). */
  apply(writes: readonly KeyWrite[], budget?: WaitBudget): void;
}

/** Map keys: latin1 maps each byte to one UTF-16 unit, so it is exact for binary keys. */
export function keyId(key: Uint8Array): string {
  // Short keys (most of them) are read in JS: a call into Buffer's C++ costs twice as much.
  if (key.length <= 32) return String.fromCharCode.apply(null, key as unknown as number[]);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

export function keyBytes(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, "latin1"));
}

/** Strings become UTF-8; bytes stay as they are. */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? new Uint8Array(Buffer.from(value, "utf8")) : value;
}
