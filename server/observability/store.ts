// Where a server keeps logs, the slow log and failed calls. Each part is a small interface so a
// version backed by a shared store (every server over one Redis sees the fleet's logs, slow calls
// and failures) can stand in for the in-process one (memory.ts). Writes never wait: a call is
// never slowed down by what observes it. Reads may answer later (a store round trip).
import type { DroppedNotice, EntryId, FailureSummary, SlowLogEntry, StreamEntry } from "./entries.js";

export interface LogQuery {
  /** Functions to read; null for every one. */
  functions: readonly string[] | null;
  /** Entries after this id, oldest first; null for the newest `count` (a tail). */
  after: EntryId | null;
  count: number;
}

export interface LogBatch {
  entries: StreamEntry[];
  /** Entries after the cursor that were overwritten before this read. */
  dropped: DroppedNotice[];
}

export interface LogStore {
  /** Keeps an entry (its id already set) in its function's ring and wakes waiting readers. */
  append(entry: StreamEntry): void;
  read(query: LogQuery): LogBatch | Promise<LogBatch>;
  /**
   * Resolves once an entry for one of `functions` (null: any) may have arrived, after `ms`
   * (0: no limit), or when `gone()` turns true (the waiting client disconnected).
   */
  wait(functions: readonly string[] | null, ms: number, gone: () => boolean): Promise<void>;
  /** Entries kept per function. */
  maxLen: number;
  close(): void;
}

export interface SlowLogStore {
  /** Adds an entry; its id is the next in sequence. */
  add(entry: Omit<SlowLogEntry, "id">): void;
  /** The newest `count` entries, newest first (count < 0: all). */
  get(count: number): SlowLogEntry[] | Promise<SlowLogEntry[]>;
  len(): number | Promise<number>;
  reset(): void | Promise<void>;
  maxLen: number;
}

export interface FailureStore {
  /** Keeps a failed call's record (JSON text); false when it alone is over the byte budget. */
  add(summary: FailureSummary, record: string): boolean;
  /** Newest first; one function's or every function's. */
  list(fn?: string): FailureSummary[] | Promise<FailureSummary[]>;
  /** The record's JSON text: by id, or the function's newest; null when not kept. */
  get(fn: string, id?: string): string | null | Promise<string | null>;
  /** Forgets one function's records or all; returns how many. */
  reset(fn?: string): number | Promise<number>;
  /** Records kept per function (0: none). */
  maxLen: number;
  /** Bytes of records kept per function. */
  maxBytes: number;
}

export interface ObservationStore {
  readonly kind: "process" | "shared";
  readonly logs: LogStore;
  readonly slowlog: SlowLogStore;
  readonly failures: FailureStore;
  close(): Promise<void>;
}
