// The timeout. Instrumented guests call `refuel` whenever their fuel runs out (limits/metering.ts);
// that is where wall-clock time is checked, so code that never returns is stopped on the main thread.
import { performance } from "node:perf_hooks";

/** Fuel units (about one wasm expression each) between two clock checks: ~0.1-0.5 ms of work. */
export const FUEL_STEP = 250_000;
/** Host calls between two clock checks (a guest looping on host calls spends little fuel). */
export const HOST_CALLS_PER_CHECK = 64;

/** Thrown through the guest's frames when the deadline has passed; never seen by the guest. */
export class TimeoutSignal {
  constructor(readonly elapsedMs: number) {}
}

export class Deadline {
  #start = 0;
  #at = Infinity;
  #hostCalls = 0;

  begin(timeoutMs: number): void {
    this.#start = performance.now();
    this.#at = this.#start + timeoutMs;
    this.#hostCalls = 0;
  }

  /** The `__ferrite.refuel` import. */
  readonly refuel = (): number => {
    this.check();
    return FUEL_STEP;
  };

  /** Called on every host call; checks the clock every HOST_CALLS_PER_CHECK calls. */
  hostCall(): void {
    if (++this.#hostCalls % HOST_CALLS_PER_CHECK === 0) this.check();
  }

  check(): void {
    const now = performance.now();
    if (now >= this.#at) throw new TimeoutSignal(now - this.#start);
  }

  /** Milliseconds left before the deadline (bounds blocking host calls such as ferrite_http). */
  get remainingMs(): number {
    return Math.max(0, this.#at - performance.now());
  }

  get startedAt(): number {
    return this.#start;
  }
}
