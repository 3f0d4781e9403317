// Per-call isolation without a fresh instantiation per call, in one place: the dirty-range pass
// (every store widens [lo, hi)), the global snapshot pass (save/restore of mutable globals), and
// the Isolate that puts back what a call wrote. The snapshot holds only what the module wrote
// before its first call (data segments and start-up's stores), so a large initial memory of zero
// pages costs nothing to load, and a reset touches only the pages the call wrote. A call that grew
// memory, or a module that mutates its tables, gets a new instance instead: nothing survives a call.
import type { ExprRef } from "./instrument/binaryen.js";
import type { Pass } from "./instrument/walk.js";
import type { PreparedModule } from "./module.js";

/** The names the isolation passes add; guests cannot import or export them (abi/validate.ts). */
export const ISOLATION = {
  lo: "__ferrite_lo",
  hi: "__ferrite_hi",
  save: "__ferrite_save",
  restore: "__ferrite_restore",
  reset: "__ferrite_reset",
} as const;

/** Pages of zeros larger than this are checked before they are written, so untouched pages stay untouched. */
const ZERO_CHECK = 65536;

/** The dirty-range pass: each store, atomic write and bulk-memory write widens [lo, hi). */
export const dirtyRangePass: Pass = {
  setup(m) {
    const { mod } = m;
    const { i32 } = m.api.b;
    mod.addGlobal(ISOLATION.lo, i32, true, mod.i32.const(-1));
    mod.addGlobal(ISOLATION.hi, i32, true, mod.i32.const(0));
    m.resets.push(mod.global.set(ISOLATION.lo, mod.i32.const(-1)), mod.global.set(ISOLATION.hi, mod.i32.const(0)));
    m.report.dataRanges = dataRanges(m.bytes);
  },
  visit(f, m) {
    const { api, mod } = m;
    const { i32 } = api.b;
    let scratch = -1; // one i32 local per function for store pointers (used at once, never nested)
    // Widen [lo, hi) to cover [start, start + extra + len); len is a local or null. A fresh node
    // for each use: binaryen expressions may not be shared within a tree.
    const touch = (start: number, extra: number, len: number | null): ExprRef[] => {
      const end = () => mod.i32.add(mod.local.get(start, i32), len === null ? mod.i32.const(extra) : mod.i32.add(mod.local.get(len, i32), mod.i32.const(extra)));
      return [
        mod.if(mod.i32.gt_u(end(), mod.global.get(ISOLATION.hi, i32)), mod.global.set(ISOLATION.hi, end())),
        mod.if(mod.i32.lt_u(mod.local.get(start, i32), mod.global.get(ISOLATION.lo, i32)), mod.global.set(ISOLATION.lo, mod.local.get(start, i32))),
      ];
    };
    return {
      leave(e, kind) {
        switch (kind) {
          case "Store":
          case "AtomicRMW":
          case "AtomicCmpxchg": {
            m.report.stores++;
            if (scratch < 0) scratch = f.local();
            const bytes = api.storeBytes(kind, e) + api.storeOffset(kind, e);
            const ptr = api.get(kind, "Ptr", e);
            api.set(kind, "Ptr", e, mod.block(null, [mod.local.set(scratch, ptr), ...touch(scratch, bytes, null), mod.local.get(scratch, i32)], i32));
            return e;
          }
          case "MemoryFill":
          case "MemoryCopy":
          case "MemoryInit": {
            // Operands are evaluated in order into fresh locals, then the range is recorded.
            const second = kind === "MemoryFill" ? ("Value" as const) : kind === "MemoryCopy" ? ("Source" as const) : ("Offset" as const);
            const [d, x, s] = [f.local(), f.local(), f.local()];
            const dest = api.get(kind, "Dest", e);
            const other = api.get(kind, second, e);
            const size = api.get(kind, "Size", e);
            api.set(kind, "Dest", e, mod.local.get(d, i32));
            api.set(kind, second, e, mod.local.get(x, i32));
            api.set(kind, "Size", e, mod.local.get(s, i32));
            m.report.stores++;
            return mod.block(null, [mod.local.set(d, dest), mod.local.set(x, other), mod.local.set(s, size), ...touch(d, 0, s), e]);
          }
          case "DataDrop":
            m.fresh("it drops data segments (data.drop)");
            return e;
          case "TableSet":
          case "TableGrow":
            m.fresh("it changes its table (table.set / table.grow)");
            return e;
          default:
            return e;
        }
      },
    };
  },
  finish(m) {
    const { mod } = m;
    const { i32, none } = m.api.b;
    for (const g of [ISOLATION.lo, ISOLATION.hi]) {
      mod.addFunction(g, none, i32, [], mod.global.get(g, i32));
      mod.addFunctionExport(g, g);
    }
  },
};

/** The global snapshot pass: shadow copies of every mutable global, saved after start-up and put
 * back (with every pass's own resets) after each call. Runs after the passes that add resets. */
export const globalSnapshotPass: Pass = {
  finish(m) {
    const { api, mod } = m;
    const { b } = api;
    const saves: ExprRef[] = [];
    const restores: ExprRef[] = [];
    for (const g of api.globals(mod)) {
      if (!g.mutable || g.name.startsWith("__ferrite") || g.module) continue;
      const zero = g.type === b.i32 ? mod.i32.const(0) : g.type === b.i64 ? api.i64(mod, 0n) : g.type === b.f32 ? mod.f32.const(0) : g.type === b.f64 ? mod.f64.const(0) : null;
      if (zero === null) {
        m.fresh(`its global '${g.name}' has a type the snapshot cannot copy`);
        continue;
      }
      const shadow = `__ferrite_saved_${++m.report.mutableGlobals}`;
      mod.addGlobal(shadow, g.type, true, zero);
      saves.push(mod.global.set(shadow, mod.global.get(g.name, g.type)));
      restores.push(mod.global.set(g.name, mod.global.get(shadow, g.type)));
    }
    mod.addFunction(ISOLATION.save, b.none, b.none, [], mod.block(null, saves.length ? saves : [mod.nop()]));
    // restore(from, to) also zeros [from, to): memory.fill beats a loop or a call into V8 from JS.
    const [from, to] = [mod.local.get(0, b.i32), mod.local.get(1, b.i32)];
    const fill = mod.if(mod.i32.gt_u(to, from), mod.memory.fill(mod.local.get(0, b.i32), mod.i32.const(0), mod.i32.sub(mod.local.get(1, b.i32), mod.local.get(0, b.i32)), m.memory));
    mod.addFunction(ISOLATION.restore, b.createType([b.i32, b.i32]), b.none, [], mod.block(null, [fill, ...restores, ...m.resets]));
    mod.addFunctionExport(ISOLATION.save, ISOLATION.save);
    mod.addFunctionExport(ISOLATION.restore, ISOLATION.restore);
    // The usual reset in one call from JS: when the call (and the host, [hostLo, hostHi)) wrote only
    // at or above zeroFrom, where the snapshot is all zeros, and not much, zero it and restore.
    // Returns -1 when done, otherwise leaves everything to the host (Isolate.reset).
    const i32 = b.i32;
    const get = (i: number) => mod.local.get(i, i32);
    const [hostLo, hostHi, zeroFrom, size, lo, hi] = [0, 1, 2, 3, 4, 5];
    const lo0 = () => mod.global.get(ISOLATION.lo, i32);
    const hi0 = () => mod.global.get(ISOLATION.hi, i32);
    mod.addFunction(
      ISOLATION.reset,
      b.createType([i32, i32, i32, i32]),
      i32,
      [i32, i32],
      mod.block(null, [
        mod.local.set(lo, mod.select(mod.i32.lt_u(lo0(), get(hostLo)), lo0(), get(hostLo))),
        mod.local.set(hi, mod.select(mod.i32.gt_u(hi0(), get(hostHi)), hi0(), get(hostHi))),
        mod.local.set(hi, mod.select(mod.i32.lt_u(get(hi), get(size)), get(hi), get(size))),
        mod.if(
          mod.i32.and(
            mod.i32.ge_u(get(lo), get(zeroFrom)),
            mod.i32.or(mod.i32.le_u(get(hi), get(lo)), mod.i32.le_u(mod.i32.sub(get(hi), get(lo)), mod.i32.const(ZERO_CHECK))),
          ),
          mod.block(null, [mod.call(ISOLATION.restore, [get(lo), get(hi)], b.none), mod.return(mod.i32.const(-1))]),
        ),
        get(lo),
      ], i32),
    );
    mod.addFunctionExport(ISOLATION.reset, ISOLATION.reset);
  },
};

/**
 * [start, end) of every active data segment, read from the module's data section; null when an
 * offset is not a plain i32.const (the snapshot then copies all of memory). Segments closer than
 * MERGE_GAP are merged, so an AssemblyScript module's hundred small strings make one range.
 */
export function dataRanges(bytes: Uint8Array): Array<[number, number]> | null {
  let at = 8;
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const i32 = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    if (shift < 32 && byte & 0x40) result |= -1 << shift;
    return result;
  };
  const ranges: Array<[number, number]> = [];
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = u32();
    const end = at + size;
    if (id !== 11) {
      at = end;
      continue;
    }
    const count = u32();
    for (let i = 0; i < count; i++) {
      const flags = u32();
      if (flags === 1) {
        at += u32(); // passive: written only by memory.init, which the dirty range tracks
        continue;
      }
      if (flags === 2) u32(); // memory index
      if (flags > 2) return null;
      if (bytes[at++] !== 0x41) return null; // i32.const
      const offset = i32() >>> 0;
      if (bytes[at++] !== 0x0b) return null; // end: anything longer is not a constant
      const len = u32();
      at += len;
      if (len > 0) ranges.push([offset, offset + len]);
    }
    at = end;
  }
  return mergeRanges(ranges);
}

/** Ranges closer than this are merged: copying a small gap is cheaper than another range. */
const MERGE_GAP = 4096;

export function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  const sorted = ranges.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + MERGE_GAP) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

export interface GuestExports {
  memory: WebAssembly.Memory;
  ferrite_alloc: (size: number) => number;
  [name: string]: unknown;
}

/** One stretch of the snapshot: what memory held at `start` after start-up. */
interface Chunk {
  start: number;
  end: number;
  bytes: Uint8Array;
}

const ZEROS = Buffer.alloc(ZERO_CHECK);

export class Isolate {
  readonly exports: GuestExports;
  readonly memory: WebAssembly.Memory;
  readonly #chunks: Chunk[];
  readonly #size: number;
  readonly #lo: () => number;
  readonly #hi: () => number;
  readonly #restore: (zeroFrom: number, zeroTo: number) => void;
  readonly #resetFast: (hostLo: number, hostHi: number, zeroFrom: number, size: number) => number;
  /** Where the snapshot's last stretch ends: above it, start-up left only zeros. */
  readonly #zeroFrom: number;
  readonly #reusable: boolean;
  #u8: Uint8Array;

  /** Instantiates (running the module's start function) and takes the snapshot. */
  constructor(prepared: PreparedModule, imports: WebAssembly.Imports) {
    this.#reusable = prepared.report.isolation === "snapshot";
    const instance = new WebAssembly.Instance(prepared.compiled, imports);
    const ex = instance.exports as Record<string, unknown>;
    this.exports = ex as GuestExports;
    this.memory = ex.memory as WebAssembly.Memory;
    this.#lo = ex[ISOLATION.lo] as () => number;
    this.#hi = ex[ISOLATION.hi] as () => number;
    this.#restore = ex[ISOLATION.restore] as (zeroFrom: number, zeroTo: number) => void;
    this.#resetFast = ex[ISOLATION.reset] as (hostLo: number, hostHi: number, zeroFrom: number, size: number) => number;
    const started: [number, number] = [this.#lo() >>> 0, this.#hi() >>> 0];
    (ex[ISOLATION.save] as () => void)();
    this.#restore(0, 0); // also clears the dirty range left by start-up and fills the fuel tank
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#size = this.#u8.byteLength;
    this.#chunks = this.#reusable ? this.#snapshot(prepared.report.dataRanges, started) : [];
    // 4 GiB does not fit an i32: such a memory always takes the host's path.
    this.#zeroFrom = this.#size >= 2 ** 32 ? 2 ** 32 - 1 : (this.#chunks.at(-1)?.end ?? 0);
  }

  /** Copies what the module wrote before its first call: data segments and start-up's stores.
   * Start-up's range is one span, however far apart its stores: zero stretches in it are left out. */
  #snapshot(data: Array<[number, number]> | null, started: [number, number]): Chunk[] {
    const size = this.#size;
    const clamp = ([s, e]: [number, number]): [number, number] => [Math.min(s, size), Math.min(e, size)];
    const ranges = data === null ? [[0, size] as [number, number]] : mergeRanges([...data.map(clamp), ...nonZero(this.#u8, ...clamp(started))]);
    return ranges
      .map(clamp)
      .filter(([s, e]) => e > s)
      .map(([start, end]) => ({ start, end, bytes: this.#u8.slice(start, end) }));
  }

  /** Undoes the call; false when this instance must not serve another call. */
  reset(hostLo: number, hostHi: number): boolean {
    if (!this.#reusable) return false;
    if (this.#u8.byteLength !== this.#size) return false; // memory grew (which detached the old buffer)
    if (this.#size < 2 ** 32 && this.#resetFast(hostLo, hostHi, this.#zeroFrom, this.#size) === -1) return true;
    const lo = Math.min(this.#lo() >>> 0, hostLo);
    const hi = Math.min(Math.max(this.#hi() >>> 0, hostHi), this.#size);
    let from = hi > lo ? this.#put(lo, hi) : hi;
    if (hi - from > ZERO_CHECK) {
      zero(this.#u8, from, hi);
      from = hi;
    }
    this.#restore(from, hi);
    return true;
  }

  /** Puts [lo, hi) back as the snapshot has it: its bytes where it has some, zeros elsewhere. Returns
   * where the last stretch of zeros starts, which it leaves to __ferrite_restore. */
  #put(lo: number, hi: number): number {
    const u8 = this.#u8;
    let at = lo;
    for (const c of this.#chunks) {
      if (c.end <= at) continue;
      if (c.start >= hi) break;
      if (c.start > at) zero(u8, at, c.start);
      const from = Math.max(at, c.start);
      const to = Math.min(hi, c.end);
      u8.set(c.bytes.subarray(from - c.start, to - c.start), from);
      at = to;
      if (at >= hi) return hi;
    }
    return at;
  }

  /** Bytes the snapshot holds: what the module wrote before its first call, not its memory size. */
  get snapshotBytes(): number {
    return this.#chunks.reduce((n, c) => n + c.bytes.byteLength, 0);
  }

  /** Bytes of linear memory in use now. */
  get memoryBytes(): number {
    return this.#u8.byteLength === this.#size ? this.#size : this.memory.buffer.byteLength;
  }
}

/** The parts of [from, to) that are not all zeros, in ZERO_CHECK stretches (reading untouched pages
 * does not make the kernel back them). */
function nonZero(u8: Uint8Array, from: number, to: number): Array<[number, number]> {
  if (to - from <= ZERO_CHECK) return to > from ? [[from, to]] : [];
  const view = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  const out: Array<[number, number]> = [];
  for (let at = from; at < to; at += ZERO_CHECK) {
    const end = Math.min(to, at + ZERO_CHECK);
    if (view.compare(ZEROS, 0, end - at, at, end) !== 0) out.push([at, end]);
  }
  return out;
}

/** Zeros [from, to), skipping whole 64 KiB stretches that are zero already: writing them would
 * make the kernel back pages nobody used. */
function zero(u8: Uint8Array, from: number, to: number): void {
  if (to - from <= ZERO_CHECK) {
    u8.fill(0, from, to);
    return;
  }
  const view = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  for (let at = from; at < to; at += ZERO_CHECK) {
    const end = Math.min(to, at + ZERO_CHECK);
    if (view.compare(ZEROS, 0, end - at, at, end) !== 0) u8.fill(0, at, end);
  }
}
