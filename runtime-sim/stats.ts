// Per-function counters and a latency histogram (HdrHistogram) for WASM.STATS and WASM.INFO.
import * as hdr from "hdr-histogram-js";
import { humanBytes } from "./limits/memory.js";
import type { FunctionStats } from "./options.js";

export type Outcome = "ok" | "failed" | "timeout";

export class FunctionCounters {
  invocations = 0;
  successful = 0;
  failed = 0;
  timeouts = 0;
  totalMs = 0;
  memoryUsed = 0;
  lastInvocation: number | null = null;
  // Microseconds, up to an hour, 2 significant digits: p99 within 1%.
  readonly #histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 });

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
    this.#histogram.recordValue(Math.max(1, Math.round(durationMs * 1000)));
  }

  get avgMs(): number {
    return this.invocations === 0 ? 0 : this.totalMs / this.invocations;
  }

  toJSON(): FunctionStats {
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
