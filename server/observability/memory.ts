// The in-process observation store: a ring of log lines and call events per function, Redis's
// slow log, and the last failed calls per function within a byte budget. What one server saw.
import { compareIds, formatId, parseId, type DroppedNotice, type FailureSummary, type SlowLogEntry, type StreamEntry } from "./entries.js";
import { Ring } from "./ring.js";
import type { FailureStore, LogBatch, LogQuery, LogStore, ObservationStore, SlowLogStore } from "./store.js";

/** Most functions tracked at once; past it, the one written to longest ago is forgotten. */
const MAX_TRACKED = 10_000;

interface Waiter {
  functions: ReadonlySet<string> | null;
  gone: () => boolean;
  done: () => void;
}

export class MemoryLogStore implements LogStore {
  readonly #rings = new Map<string, Ring<StreamEntry>>();
  readonly #waiters = new Set<Waiter>();
  readonly #touched = new Set<string>();
  #wakeScheduled = false;
  #maxLen: number;

  constructor(maxLen: number) {
    this.#maxLen = maxLen;
  }

  get maxLen(): number {
    return this.#maxLen;
  }
  set maxLen(n: number) {
    this.#maxLen = n;
    for (const ring of this.#rings.values()) ring.resize(n);
  }

  append(entry: StreamEntry): void {
    let ring = this.#rings.get(entry.function);
    if (ring === undefined) {
      if (this.#rings.size >= MAX_TRACKED) forgetStalest(this.#rings);
      this.#rings.set(entry.function, (ring = new Ring(this.#maxLen)));
    }
    ring.push(entry);
    if (this.#waiters.size > 0) {
      this.#touched.add(entry.function);
      if (!this.#wakeScheduled) {
        // Readers are woken after the call's reply has been written, never inside it.
        this.#wakeScheduled = true;
        setImmediate(() => this.#wake());
      }
    }
  }

  read(q: LogQuery): LogBatch {
    const rings = q.functions === null ? [...this.#rings] : q.functions.flatMap((f) => (this.#rings.has(f) ? [[f, this.#rings.get(f)!] as const] : []));
    const dropped: DroppedNotice[] = [];
    let entries: StreamEntry[] = [];
    for (const [fn, ring] of rings) {
      if (q.after === null) {
        entries.push(...ring.slice(ring.size - q.count));
        continue;
      }
      const from = ring.firstAfter(q.after);
      entries.push(...ring.slice(from, from + q.count));
      if (ring.evictedUpTo !== null && compareIds(ring.evictedUpTo, q.after) > 0) {
        dropped.push({
          type: "dropped",
          function: fn,
          upTo: ring.evictedUpTo,
          message: `entries of '${fn}' up to ${formatId(ring.evictedUpTo)} were overwritten before this client read them (the server keeps the last ${this.#maxLen} per function: logs_max_len)`,
        });
      }
    }
    entries.sort(compareIds);
    entries = q.after === null ? entries.slice(Math.max(0, entries.length - q.count)) : entries.slice(0, q.count);
    return { entries, dropped };
  }

  wait(functions: readonly string[] | null, ms: number, gone: () => boolean): Promise<void> {
    for (const w of this.#waiters) if (w.gone()) w.done();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        functions: functions === null ? null : new Set(functions),
        gone,
        done: () => {
          if (timer !== undefined) clearTimeout(timer);
          this.#waiters.delete(w);
          resolve();
        },
      };
      if (ms > 0) timer = setTimeout(w.done, ms);
      this.#waiters.add(w);
    });
  }

  #wake(): void {
    this.#wakeScheduled = false;
    for (const w of this.#waiters) {
      if (w.gone() || w.functions === null || [...this.#touched].some((f) => w.functions!.has(f))) w.done();
    }
    this.#touched.clear();
  }

  close(): void {
    for (const w of this.#waiters) w.done();
  }
}

function forgetStalest(rings: Map<string, Ring<StreamEntry>>): void {
  let stalest: string | null = null;
  let oldest = Infinity;
  for (const [fn, ring] of rings) {
    const t = ring.newest?.time ?? -Infinity;
    if (t < oldest) {
      oldest = t;
      stalest = fn;
    }
  }
  if (stalest !== null) rings.delete(stalest);
}

/** Redis's SLOWLOG: ids grow for the life of the server, RESET keeps the numbering. */
export class MemorySlowLog implements SlowLogStore {
  #entries: SlowLogEntry[] = []; // oldest first
  #nextId = 0;
  #maxLen: number;

  constructor(maxLen: number) {
    this.#maxLen = maxLen;
  }

  get maxLen(): number {
    return this.#maxLen;
  }
  set maxLen(n: number) {
    this.#maxLen = n;
    this.#trim();
  }

  add(entry: Omit<SlowLogEntry, "id">): void {
    this.#entries.push({ id: this.#nextId++, ...entry });
    this.#trim();
  }

  #trim(): void {
    const over = this.#entries.length - this.#maxLen;
    if (over > 0) this.#entries.splice(0, over);
  }

  get(count: number): SlowLogEntry[] {
    const newest = [...this.#entries].reverse();
    return count < 0 ? newest : newest.slice(0, count);
  }

  len(): number {
    return this.#entries.length;
  }

  reset(): void {
    this.#entries = [];
  }
}

interface Kept {
  summary: FailureSummary;
  record: string;
}

/** The last failed calls of each function, within a count and a byte budget per function. */
export class MemoryFailureStore implements FailureStore {
  readonly #byFn = new Map<string, { items: Kept[]; bytes: number; lastAdded: number }>();
  #maxLen: number;
  #maxBytes: number;

  constructor(maxLen: number, maxBytes: number) {
    this.#maxLen = maxLen;
    this.#maxBytes = maxBytes;
  }

  get maxLen(): number {
    return this.#maxLen;
  }
  set maxLen(n: number) {
    this.#maxLen = n;
    this.#trim();
  }
  get maxBytes(): number {
    return this.#maxBytes;
  }
  set maxBytes(n: number) {
    this.#maxBytes = n;
    this.#trim();
  }

  add(summary: FailureSummary, record: string): boolean {
    if (this.#maxLen === 0 || summary.bytes > this.#maxBytes) return false;
    let kept = this.#byFn.get(summary.function);
    if (kept === undefined) {
      if (this.#byFn.size >= MAX_TRACKED) this.#forgetStalest();
      this.#byFn.set(summary.function, (kept = { items: [], bytes: 0, lastAdded: 0 }));
    }
    kept.items.push({ summary, record });
    kept.bytes += summary.bytes;
    kept.lastAdded = Date.now();
    while (kept.items.length > this.#maxLen || kept.bytes > this.#maxBytes) kept.bytes -= kept.items.shift()!.summary.bytes;
    return true;
  }

  #forgetStalest(): void {
    let stalest: string | null = null;
    for (const [fn, k] of this.#byFn) if (stalest === null || k.lastAdded < this.#byFn.get(stalest)!.lastAdded) stalest = fn;
    if (stalest !== null) this.#byFn.delete(stalest);
  }

  list(fn?: string): FailureSummary[] {
    const lists = fn === undefined ? [...this.#byFn.values()] : this.#byFn.has(fn) ? [this.#byFn.get(fn)!] : [];
    return lists.flatMap((k) => k.items.map((i) => i.summary)).sort((a, b) => compareIds(parseId(b.id)!, parseId(a.id)!));
  }

  get(fn: string, id?: string): string | null {
    const items = this.#byFn.get(fn)?.items ?? [];
    const found = id === undefined ? items.at(-1) : items.find((i) => i.summary.id === id);
    return found?.record ?? null;
  }

  reset(fn?: string): number {
    let n = 0;
    for (const [name, k] of this.#byFn) {
      if (fn !== undefined && name !== fn) continue;
      n += k.items.length;
      this.#byFn.delete(name);
    }
    return n;
  }

  /** Applies lowered limits to what is already kept. */
  #trim(): void {
    for (const [name, k] of this.#byFn) {
      while (k.items.length > this.#maxLen || k.bytes > this.#maxBytes) k.bytes -= k.items.shift()!.summary.bytes;
      if (k.items.length === 0) this.#byFn.delete(name);
    }
  }
}

export interface MemoryStoreLimits {
  logsMaxLen: number;
  slowlogMaxLen: number;
  recorderMaxLen: number;
  recorderMaxBytes: number;
}

export function memoryObservationStore(limits: MemoryStoreLimits): ObservationStore {
  return {
    kind: "process",
    logs: new MemoryLogStore(limits.logsMaxLen),
    slowlog: new MemorySlowLog(limits.slowlogMaxLen),
    failures: new MemoryFailureStore(limits.recorderMaxLen, limits.recorderMaxBytes),
    async close() {
      this.logs.close();
    },
  };
}
