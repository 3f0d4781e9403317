// Per-call isolation without a fresh instantiation per call. After start-up the instance's memory
// and mutable globals are snapshotted; after each call the bytes it wrote ([lo, hi) tracked by the
// instrumentation, plus what the host wrote) and the globals are put back. A call that grew memory,
// or a module that mutates its tables, gets a new instance instead: nothing survives a call.
import { METER } from "./limits/metering.js";
import type { PreparedModule } from "./module.js";

export interface GuestExports {
  memory: WebAssembly.Memory;
  ferrite_alloc: (size: number) => number;
  [name: string]: unknown;
}

export class Isolate {
  readonly exports: GuestExports;
  readonly memory: WebAssembly.Memory;
  readonly #snapshot: Uint8Array;
  readonly #lo: () => number;
  readonly #hi: () => number;
  readonly #restore: () => void;
  readonly #reusable: boolean;

  /** Instantiates (running the module's start function) and takes the snapshot. */
  constructor(prepared: PreparedModule, imports: WebAssembly.Imports) {
    this.#reusable = prepared.report.isolation === "snapshot";
    const instance = new WebAssembly.Instance(prepared.compiled, imports);
    const ex = instance.exports as Record<string, unknown>;
    this.exports = ex as GuestExports;
    this.memory = ex.memory as WebAssembly.Memory;
    this.#lo = ex[METER.lo] as () => number;
    this.#hi = ex[METER.hi] as () => number;
    this.#restore = ex[METER.restore] as () => void;
    (ex[METER.save] as () => void)();
    this.#restore(); // also clears the dirty range left by start-up and fills the fuel tank
    this.#snapshot = this.#reusable ? new Uint8Array(this.memory.buffer).slice() : new Uint8Array(0);
  }

  /** Undoes the call; false when this instance must not serve another call. */
  reset(hostLo: number, hostHi: number): boolean {
    if (!this.#reusable) return false;
    const buffer = this.memory.buffer;
    if (buffer.byteLength !== this.#snapshot.byteLength) return false; // memory grew
    const lo = Math.min(this.#lo() >>> 0, hostLo);
    const hi = Math.min(Math.max(this.#hi() >>> 0, hostHi), buffer.byteLength);
    if (hi > lo) new Uint8Array(buffer, lo, hi - lo).set(this.#snapshot.subarray(lo, hi));
    this.#restore();
    return true;
  }

  /** Bytes of linear memory in use now. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }
}
