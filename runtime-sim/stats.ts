// Per-function counters and a latency histogram (HdrHistogram) for WASM.STATS and WASM.INFO.
import * as hdr from "hdr-histogram-js";
import { humanBytes } from "./limits/memory.js";
import type { FunctionStats } from "./options.js";

export type Outcome = "ok" | "failed" | "timeout";

const SMALL = 256;
let wasmReady = false;
let loading: Promise<void> | null = null;

/** Loads hdr-histogram's WebAssembly build once; counters made before it is ready use the JS build. */
export function initStats(): Promise<void> {
  loading ??= hdr.initWebAssembly().then(() => {
    wasmReady = true;
  });
  return loading;
}

export class FunctionCounters {
  invocations = 0;
  successful = 0;
  failed = 0;
  timeouts = 0;
  totalMs = 0;
  memoryUsed = 0;
  lastInvocation: number | null = null;
  // Microseconds, up to an hour, 2 significant digits: p99 within 1%. The WebAssembly build records
  // in ~20 ns where the JS one takes ~100: it is on every call's path (initStats loads it).
  // Calls under SMALL µs (most of them) are counted per microsecond in a plain array: recording in
  // the histogram costs ~40 ns, which is a sixth of a short call.
  readonly #small = new Uint32Array(SMALL);
  readonly #histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: wasmReady });

  record(outcome: Outcome, durationMs: number, memoryBytes: number, at: number): void {
    this.invocations++;
    if (outcome === "ok") this.successful++;
    else {
      this.failed++;
      if (outcome === "timeout") this.timeouts++;
    }
    this.totalMs += durationMs;
    if (memoryBytes > this.memoryUsed) this.memoryUsed = memoryBytes;
    this.lastInvocation = at;
    const us = Math.max(1, Math.round(durationMs * 1000));
    if (us < SMALL) this.#small[us]++;
    else this.#histogram.recordValue(us);
  }

  /** Hands the short calls counted in #small to the histogram (once per stats query, not per call). */
  #flush(): void {
    const small = this.#small;
    for (let us = 1; us < SMALL; us++) {
      if (small[us] !== 0) this.#histogram.recordValueWithCount(us, small[us]);
    }
    small.fill(0);
  }

  get avgMs(): number {
    return this.invocations === 0 ? 0 : this.totalMs / this.invocations;
  }

  toJSON(): FunctionStats {
    this.#flush();
    return {
      invocations: this.invocations,
      successful: this.successful,
      failed: this.failed,
      timeouts: this.timeouts,
      avg_duration_ms: round(this.avgMs),
      p99_duration_ms: this.invocations === 0 ? 0 : round(this.#histogram.getValueAtPercentile(99) / 1000),
      memory_used: humanBytes(this.memoryUsed),
      memory_used_bytes: this.memoryUsed,
      last_invocation: this.lastInvocation === null ? null : new Date(this.lastInvocation).toISOString(),
    };
  }

  /** Frees the histogram's memory (hdr's wasm/packed variants hold buffers). */
  destroy(): void {
    this.#histogram.destroy();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
