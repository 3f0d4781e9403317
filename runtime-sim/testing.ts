// Helpers for testing functions on the runtime: a clock you move by hand, a seeded random source,
// and readers for call results. Exported as "ferrite-wasm/testing".
import type { CallResult } from "./options.js";

export { replayFailedCall } from "./replay.js";
export type { FailedCallJSON } from "./replay.js";

export interface ManualClock {
  (): number;
  /** Moves the clock forward. */
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock that stands still until told (default start 2026-01-01T00:00:00Z). */
export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

/** A deterministic source in [0, 1) (mulberry32). */
export function seededRandom(seed = 1): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The returned value as UTF-8 text; throws with the function's error when the call failed. */
export function text(result: CallResult): string | null {
  if (!result.ok) throw new Error(`call failed: ${result.error?.message}`);
  return result.value === null ? null : Buffer.from(result.value).toString("utf8");
}

/** The returned value parsed as JSON; throws when the call failed or returned nothing. */
export function json<T = unknown>(result: CallResult): T {
  const t = text(result);
  if (t === null) throw new Error("call returned nothing (no ferrite_return)");
  return JSON.parse(t) as T;
}

/** The writes of a result as UTF-8 text pairs (null: deleted). */
export function writes(result: CallResult): Array<[string, string | null]> {
  return result.writes.map((w) => [Buffer.from(w.key).toString("utf8"), w.value === null ? null : Buffer.from(w.value).toString("utf8")]);
}
