// What the server does with each call once it has ended: its log lines and one call event go to
// the function's log ring (WASM.LOGS), a slow one to the slow log (WASM.SLOWLOG), a failed one to
// the flight recorder (WASM.FAILURES), and every one to the metrics. On a successful call this is
// a few counters and two small objects; records are built only for calls that failed.
import type { CallOptions, CallResult, RecordedCall } from "../../runtime-sim/index.js";
import { failedCallToJSON } from "../../runtime-sim/host.js";
import type { ObservabilitySettings } from "./config.js";
import { IdGenerator, formatId, type CallEventEntry, type EntryId, type LogLineEntry } from "./entries.js";
import { memoryObservationStore } from "./memory.js";
import { CallMetrics } from "./metrics.js";
import { slowlogArgs } from "./slowlog.js";
import type { ObservationStore } from "./store.js";

/** Longest log message kept, in characters; the rest is replaced by a note of its length. */
export const MAX_LOG_MESSAGE = 4096;

/** Where a call came from. */
export interface CallOrigin {
  /** The command the client sent: WASM.CALL with its arguments, or the write a trigger ran for. */
  command: readonly Uint8Array[];
  client: { readonly addr: string; readonly name: string | null } | null;
  /** "wasm.call", "wasm.callread" or "trigger <name>". */
  via: string;
}

export interface ObservabilityOptions {
  settings: ObservabilitySettings;
  /** ms since the epoch (the runtime's clock). */
  clock?: () => number;
  /** The function's active version, or null. */
  versionOf?: (fn: string) => number | null;
  /** Default: this process's memory. */
  store?: ObservationStore;
}

// One shape for every call's options (the ACL user's and a SELECTed database's copies keep it), so
// the runtime's reads of them stay monomorphic when default and restricted users call alike.
const options = (readOnly: boolean, record: boolean): CallOptions => ({ readOnly, record, answers: undefined, keys: undefined, store: undefined });
const PLAIN = options(false, false);
const READ_ONLY = options(true, false);
const RECORD = options(false, true);
const RECORD_READ_ONLY = options(true, true);

export class Observability {
  readonly calls = new CallMetrics();
  readonly store: ObservationStore;
  readonly ids = new IdGenerator();
  /** The metrics endpoint's port once it listens. */
  metricsPort: number | null = null;
  readonly #settings: ObservabilitySettings;
  readonly #clock: () => number;
  readonly #versionOf: (fn: string) => number | null;

  constructor(options: ObservabilityOptions) {
    this.#settings = { ...options.settings };
    this.#clock = options.clock ?? Date.now;
    this.#versionOf = options.versionOf ?? (() => null);
    this.store =
      options.store ??
      memoryObservationStore({
        logsMaxLen: this.#settings.logsMaxLen,
        slowlogMaxLen: this.#settings.slowlogMaxLen,
        recorderMaxLen: this.#settings.recorderMaxLen,
        recorderMaxBytes: this.#settings.recorderMaxBytes,
      });
  }

  get settings(): Readonly<ObservabilitySettings> {
    return this.#settings;
  }

  /** CONFIG SET: applies at once, trimming what is kept to lowered limits. */
  configure(changes: Partial<ObservabilitySettings>): void {
    Object.assign(this.#settings, changes);
    const { store } = this;
    if (changes.logsMaxLen !== undefined) store.logs.maxLen = changes.logsMaxLen;
    if (changes.slowlogMaxLen !== undefined) store.slowlog.maxLen = changes.slowlogMaxLen;
    if (changes.recorderMaxLen !== undefined) store.failures.maxLen = changes.recorderMaxLen;
    if (changes.recorderMaxBytes !== undefined) store.failures.maxBytes = changes.recorderMaxBytes;
  }

  /** The options a call runs with: recorded while the flight recorder is on. */
  callOptions(readOnly: boolean): CallOptions {
    if (this.#settings.recorderMaxLen > 0) return readOnly ? RECORD_READ_ONLY : RECORD;
    return readOnly ? READ_ONLY : PLAIN;
  }

  /** After every call. Never throws, never waits. */
  called(name: string, result: CallResult, origin: CallOrigin): void {
    const error = result.error;
    if (error !== null && error.code === "ERR_UNKNOWN_FUNCTION") return; // nothing ran
    const code = error === null ? null : error.code;
    this.calls.call(name, code, result.durationMs);
    const now = this.#clock();
    const version = this.#versionOf(name);
    const logs = this.store.logs;
    // Objects written out field by field: a spread here costs microseconds per call.
    for (const l of result.logs) {
      const lid = this.ids.next(now);
      const line: LogLineEntry = { ms: lid.ms, seq: lid.seq, type: "log", function: name, version, time: l.time, level: l.level, message: clipMessage(l.message) };
      logs.append(line);
    }
    const id = this.ids.next(now);
    const durationUs = Math.round(result.durationMs * 1000);
    const recorded = result.recorded !== undefined && error !== null && this.#record(id, name, version, result.recorded, result.durationMs, error);
    const event: CallEventEntry = {
      ms: id.ms,
      seq: id.seq,
      type: "call",
      function: name,
      version,
      time: now,
      duration_us: durationUs,
      via: origin.via,
      outcome: code ?? "ok",
      error: error === null ? null : error.reply,
      recorded,
    };
    logs.append(event);
    const threshold = this.#settings.slowlogLogSlowerThan;
    if (threshold >= 0 && durationUs >= threshold) {
      this.store.slowlog.add({
        time: Math.floor(now / 1000),
        duration_us: durationUs,
        args: slowlogArgs(origin.command),
        addr: origin.client?.addr ?? "",
        name: origin.client?.name ?? "",
      });
    }
  }

  #record(id: EntryId, name: string, version: number | null, rec: RecordedCall, durationMs: number, error: { code: string; message: string; reply: string }): boolean {
    const budget = this.#settings.recorderMaxBytes;
    if (this.#settings.recorderMaxLen === 0 || estimateBytes(rec) > budget) return false;
    const json = JSON.stringify(failedCallToJSON(rec, { id: formatId(id), version, durationMs, error }));
    const bytes = Buffer.byteLength(json);
    return this.store.failures.add(
      { id: formatId(id), function: name, version, time: new Date(rec.time).toISOString(), code: error.code, error: error.reply, bytes },
      json,
    );
  }

  /** After every deploy (load, loadb, reload, rollback); `code` null when it succeeded. */
  deployed(kind: string, code: string | null): void {
    this.calls.load(kind, code);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function clipMessage(message: string): string {
  return message.length <= MAX_LOG_MESSAGE ? message : `${message.slice(0, MAX_LOG_MESSAGE)}... (${message.length - MAX_LOG_MESSAGE} more characters)`;
}

/** A lower bound of a record's JSON size, to skip one that cannot fit before serializing it. */
function estimateBytes(rec: RecordedCall): number {
  let n = 512;
  for (const a of rec.args) n += a.byteLength;
  for (const r of rec.reads) n += r.key.byteLength + ("value" in r && r.value !== null ? r.value.byteLength : 0);
  for (const h of rec.answers.http) n += h.request.body.length + h.response.body.length;
  return n;
}
