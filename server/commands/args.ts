// Small helpers for reading command arguments the way Redis does.
import { parseInt64 } from "../store/keyspace.js";
import { CommandError } from "../resp.js";

export const SYNTAX = "ERR syntax error";
export const NOT_INTEGER = "ERR value is not an integer or out of range";

/** An argument as UTF-8 text (names, paths, JSON). */
export const text = (b: Buffer): string => b.toString("utf8");

/** A keyword, upper-cased for comparison (keywords are case-insensitive). */
export const keyword = (b: Buffer): string => b.toString("latin1").toUpperCase();

/** A signed 64-bit integer argument, as Redis's string2ll reads it. */
export function int64(b: Buffer): bigint {
  const n = parseInt64(b.toString("latin1"));
  if (n === null) throw new CommandError(NOT_INTEGER);
  return n;
}

/** An integer that must fit a JS number safely (counts, seconds, ms). */
export function integer(b: Buffer): number {
  const n = int64(b);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw new CommandError(NOT_INTEGER);
  return Number(n);
}

export function syntaxError(detail?: string): CommandError {
  return new CommandError(detail ? `${SYNTAX}: ${detail}` : SYNTAX);
}

/** Applies `f` now when the keyspace answered synchronously (memory), later when it answered with a promise. */
export function after<T, R>(value: T | Promise<T>, f: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
