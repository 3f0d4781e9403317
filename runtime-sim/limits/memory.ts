// The memory limit, in one place: MEMORY's parser, the memory.grow wrapper pass that refuses growth
// past the limit, the signal that fails the call, the initial-memory check at load, and the
// server-wide budget the functions' limits add up to.
import { FerriteError, errors } from "../errors.js";
import { HOST_MODULE, type Pass } from "../instrument/walk.js";

export const WASM_PAGE = 65536;
const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
/** Wasm32 memory cannot exceed 4 GiB. */
export const MAX_MEMORY_BYTES = 4 * 1024 ** 3;

/** MEMORY: "10MB" and friends, in powers of 1024; a bare number is bytes. The one parser for the
 * runtime, server, manifest and CLI. */
export function parseMemoryLimit(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value <= 0 || value > MAX_MEMORY_BYTES) throw errors.invalidMemory(String(value));
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? (m[2] || "B").toUpperCase() : "";
  if (!m || !(unit in UNITS)) throw errors.invalidMemory(value);
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]);
  if (bytes <= 0 || bytes > MAX_MEMORY_BYTES) throw errors.invalidMemory(value);
  return bytes;
}

/** Whole wasm pages that fit under the limit (and the module's own maximum): the guest can never hold more. */
export function limitPages(bytes: number, declaredMax: number | null = null): number {
  const pages = Math.floor(bytes / WASM_PAGE);
  return declaredMax === null ? pages : Math.min(pages, declaredMax);
}

/** The shortest exact spelling: 10485760 -> "10MB", 1536 -> "1536B" unless it divides. */
export function formatBytes(bytes: number): string {
  for (const unit of ["GB", "MB", "KB"]) {
    if (bytes >= UNITS[unit] && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return `${bytes}B`;
}

/** A size for people: 2.5MB, 64KB. */
export function humanBytes(bytes: number): string {
  for (const unit of ["GB", "MB", "KB"]) {
    if (bytes >= UNITS[unit]) return `${Number((bytes / UNITS[unit]).toFixed(1))}${unit}`;
  }
  return `${bytes}B`;
}

/** Thrown by `__ferrite.oom` when the guest grows memory past its limit. */
export class MemoryLimitSignal {
  constructor(readonly pages: number) {}
}

/** The `__ferrite` imports of the memory limit, for one instance. */
export function memoryImports(maxPages: number): { oom: (pages: number) => never; max_pages: WebAssembly.Global } {
  return {
    oom: (pages: number) => {
      throw new MemoryLimitSignal(pages >>> 0);
    },
    max_pages: new WebAssembly.Global({ value: "i32", mutable: false }, maxPages),
  };
}

/** A load whose initial memory is above its limit fails, naming both. */
export function checkInitialMemory(name: string, initialPages: number, limit: number): void {
  const initial = initialPages * WASM_PAGE;
  if (initial > limit) {
    throw new FerriteError(
      "ERR_MEMORY_INITIAL",
      `cannot load '${name}': its initial memory is ${formatBytes(initial)} (${initialPages} pages of 64KB), above its memory limit of ${formatBytes(limit)}; raise MEMORY to at least ${formatBytes(initial)} or build with less initial memory`,
      name,
      { initial_bytes: initial, limit_bytes: limit },
    );
  }
}

/**
 * The server-wide memory budget ([wasm] memory_budget). It counts declared limits: the MEMORY of
 * every loaded function, added up, may not pass it. Limits are what a function may claim at any
 * moment, so the budget holds whatever the calls do; pages touched would only be known too late.
 */
export class MemoryBudget {
  constructor(readonly bytes: number) {}

  /** Throws when `name` asking for `limit` beside `others` (the other functions' limits) passes the budget. */
  check(name: string, limit: number, others: number): void {
    if (others + limit <= this.bytes) return;
    throw new FerriteError(
      "ERR_MEMORY_BUDGET",
      `cannot give '${name}' a memory limit of ${formatBytes(limit)}: the functions' memory limits would add up to ${humanBytes(others + limit)}, above [wasm] memory_budget (${humanBytes(this.bytes)}); lower MEMORY, unload a function, or raise memory_budget`,
      name,
      { limit_bytes: limit, others_bytes: others, budget_bytes: this.bytes },
    );
  }
}

/** The names the memory pass adds. */
export const GROW = { wrapper: "__ferrite_grow", oom: "__ferrite_oom", maxPages: "__ferrite_max_pages" } as const;

/**
 * The memory pass: every memory.grow becomes a call to a wrapper that refuses growth past the
 * page limit and reports it through `__ferrite.oom`, so the call fails with the memory-limit
 * message, not a bare trap. The limit is imported, so one compiled module serves every MEMORY.
 */
export const memoryPass: Pass = {
  setup(m) {
    const { i32, none } = m.api.b;
    m.mod.addGlobalImport(GROW.maxPages, HOST_MODULE, "max_pages", i32, false);
    m.mod.addFunctionImport(GROW.oom, HOST_MODULE, "oom", i32, none);
  },
  visit(_f, m) {
    return {
      leave(e, kind) {
        if (kind !== "MemoryGrow") return e;
        m.report.grows++;
        return m.mod.call(GROW.wrapper, [m.api.get("MemoryGrow", "Delta", e)], m.api.b.i32);
      },
    };
  },
  finish(m) {
    const { mod, memory } = m;
    const { i32, none } = m.api.b;
    const delta = () => mod.local.get(0, i32);
    const limit = () => mod.global.get(GROW.maxPages, i32);
    const refuse = () => mod.block(null, [mod.call(GROW.oom, [delta()], none), mod.unreachable()]);
    mod.addFunction(
      GROW.wrapper,
      i32,
      i32,
      [i32],
      mod.block(
        null,
        [
          mod.if(mod.i32.or(mod.i32.gt_u(delta(), limit()), mod.i32.gt_u(mod.i32.add(mod.memory.size(memory), delta()), limit())), refuse()),
          mod.local.set(1, mod.memory.grow(delta(), memory)),
          mod.if(mod.i32.eq(mod.local.get(1, i32), mod.i32.const(-1)), refuse()),
          mod.local.get(1, i32),
        ],
        i32,
      ),
    );
  },
};
