// What the server keeps about calls: log lines and call events (WASM.LOGS), slow log entries
// (WASM.SLOWLOG) and failed calls (WASM.FAILURES). Ids are Redis stream ids, "<ms>-<seq>", so a
// client's cursor means the same thing here and in a store-backed stream.

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** A stream id: milliseconds and a sequence number within that millisecond. */
export interface EntryId {
  ms: number;
  seq: number;
}

interface EntryBase extends EntryId {
  function: string;
  /** The function's version on this server when it ran (WASM.VERSIONS), null if it has none. */
  version: number | null;
  /** ms since the epoch. */
  time: number;
}

/** A line the function wrote with ferrite_log. */
export interface LogLineEntry extends EntryBase {
  type: "log";
  level: LogLevel;
  message: string;
}

/** One call, after it ended. */
export interface CallEventEntry extends EntryBase {
  type: "call";
  duration_us: number;
  /** What ran it: "wasm.call", "wasm.callread" or "trigger <name>". */
  via: string;
  /** "ok", or the error's code (ERR_TRAP, ERR_TIMEOUT, ...). */
  outcome: string;
  /** The error reply's text, when it failed. */
  error: string | null;
  /** True when the flight recorder kept the call: `ferrite-wasm replay <function> <id>`. */
  recorded: boolean;
}

export type StreamEntry = LogLineEntry | CallEventEntry;

/** Said in a reply when entries a follower had not read yet were overwritten. */
export interface DroppedNotice {
  type: "dropped";
  function: string;
  /** The newest entry that was lost. */
  upTo: EntryId;
  message: string;
}

export const formatId = (id: EntryId): string => `${id.ms}-${id.seq}`;

export function compareIds(a: EntryId, b: EntryId): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}

/** "1732412345678-3", or a bare "1732412345678" meaning "from that millisecond on" (exclusive cursor just before it). */
export function parseId(text: string): EntryId | null {
  const m = /^([0-9]{1,15})(?:-([0-9]{1,15}))?$/.exec(text);
  if (!m) return null;
  const ms = Number(m[1]);
  if (m[2] === undefined) return ms === 0 ? { ms: 0, seq: 0 } : { ms: ms - 1, seq: Number.MAX_SAFE_INTEGER };
  return { ms, seq: Number(m[2]) };
}

/** Ids that never go backwards, even when the clock does (as Redis stream ids). */
export class IdGenerator {
  #ms = 0;
  #seq = 0;
  next(now: number): EntryId {
    const ms = Math.floor(now);
    if (ms > this.#ms) {
      this.#ms = ms;
      this.#seq = 0;
    } else this.#seq++;
    return { ms: this.#ms, seq: this.#seq };
  }
  /** The newest id handed out ("$" in a cursor). */
  get last(): EntryId {
    return { ms: this.#ms, seq: this.#seq };
  }
}

/** One WASM.SLOWLOG entry, as Redis keeps it. */
export interface SlowLogEntry {
  id: number;
  /** Unix time in seconds. */
  time: number;
  duration_us: number;
  /** The command, truncated as Redis truncates it. */
  args: Buffer[];
  /** "ip:port" of the client, "" when none. */
  addr: string;
  /** The client's name (CLIENT SETNAME), "" when none. */
  name: string;
}

/** WASM.FAILURES LIST: one kept failed call. */
export interface FailureSummary {
  id: string;
  function: string;
  version: number | null;
  time: string;
  code: string;
  error: string;
  bytes: number;
}
