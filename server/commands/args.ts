// Small helpers for reading command arguments the way Redis does.
import type { Client } from "../context.js";
import { MemoryKeyspace, parseInt64 } from "../store/keyspace.js";
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

/**
 * The client's database on the embedded store. Key commands are `native`: with a Redis store they
 * go to Redis before any handler runs, so a handler only ever sees the embedded store.
 */
export function memory(c: Client): MemoryKeyspace {
  const ks = c.keyspace;
  if (!(ks instanceof MemoryKeyspace)) throw new CommandError("ERR internal error: a key command reached the embedded store's handler with a Redis store; please report it");
  return ks;
}

/** A database number argument (SELECT, MOVE, COPY ... DB, SWAPDB), checked against `databases`. */
export function dbIndex(c: Client, b: Buffer, invalid = NOT_INTEGER, cluster = false): number {
  const n = parseInt64(b.toString("latin1"));
  if (n === null || n > 2n ** 31n - 1n || n < -(2n ** 31n)) throw new CommandError(invalid);
  if (cluster && n !== 0n) throw new CommandError("ERR SELECT is not allowed in cluster mode");
  if (n < 0n || n >= BigInt(c.server.databases.count)) throw new CommandError("ERR DB index is out of range");
  return Number(n);
}
