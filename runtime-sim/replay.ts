// A failed call, kept by a server's flight recorder, brought home: its JSON form (what
// WASM.FAILURES GET sends and a saved regression test embeds) and its replay on a runtime. The
// replay seeds the keyspace with what the call read and answers ferrite_now, ferrite_random and
// ferrite_http from what it got, so the same module fails the same way; a fixed module runs on
// the same inputs. Format: docs/observability.md#flight-recorder.
import type { Runtime } from "./runtime.js";
import { MemoryStore } from "./store/memory-store.js";
import { keyId } from "./store/store.js";
import type { CallResult, Capability, RecordedAnswers, RecordedCall, RecordedRead } from "./options.js";

export const FAILED_CALL_FORMAT = "ferrite-wasm/failed-call@1";

/** Bytes in JSON: a string when they are valid UTF-8, otherwise `{ base64 }`. */
export type JsonBytes = string | { base64: string };

/** A recorded failed call as JSON. */
export interface FailedCallJSON {
  format: typeof FAILED_CALL_FORMAT;
  /** The server's id for the call (the id of its call event in WASM.LOGS). */
  id: string | null;
  function: string;
  /** The function's version on the server when it ran (WASM.VERSIONS). */
  version: number | null;
  /** SHA-256 (hex) of the module that ran. */
  sha256: string;
  entry: string;
  /** When the call started (ISO 8601). */
  time: string;
  duration_ms: number;
  /** The error the call failed with: the runtime's code (ERR_TRAP, ...), its message, and the reply the client got. */
  error: { code: string; message: string; reply?: string };
  read_only: boolean;
  capabilities: Capability[];
  memory_limit_bytes: number;
  timeout_ms: number;
  args: JsonBytes[];
  reads: ({ key: JsonBytes; value: JsonBytes | null } | { key: JsonBytes; exists: boolean })[];
  answers: RecordedAnswers;
}

const strict = new TextDecoder("utf-8", { fatal: true });

export function bytesToJson(b: Uint8Array): JsonBytes {
  try {
    return strict.decode(b);
  } catch {
    return { base64: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") };
  }
}

export function bytesFromJson(v: JsonBytes): Uint8Array {
  return new Uint8Array(typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v.base64, "base64"));
}

export interface FailedCallMeta {
  id?: string | null;
  version?: number | null;
  durationMs: number;
  error: { code: string; message: string; reply?: string };
}

export function failedCallToJSON(record: RecordedCall, meta: FailedCallMeta): FailedCallJSON {
  return {
    format: FAILED_CALL_FORMAT,
    id: meta.id ?? null,
    function: record.function,
    version: meta.version ?? null,
    sha256: record.sha256,
    entry: record.entry,
    time: new Date(record.time).toISOString(),
    duration_ms: Math.round(meta.durationMs * 1000) / 1000,
    error: { code: meta.error.code, message: meta.error.message, ...(meta.error.reply === undefined ? {} : { reply: meta.error.reply }) },
    read_only: record.readOnly,
    capabilities: [...record.capabilities],
    memory_limit_bytes: record.memory_limit_bytes,
    timeout_ms: record.timeout_ms,
    args: record.args.map(bytesToJson),
    reads: record.reads.map((r) =>
      "exists" in r ? { key: bytesToJson(r.key), exists: r.exists } : { key: bytesToJson(r.key), value: r.value === null ? null : bytesToJson(r.value) },
    ),
    answers: record.answers,
  };
}

/** Checks a record read from a server or a file; the error names the field that is wrong. */
export function failedCallFromJSON(value: unknown): FailedCallJSON & { record: RecordedCall } {
  const o = value as Partial<FailedCallJSON> | null;
  const bad = (what: string) => new Error(`not a ferrite-wasm failed-call record: ${what}`);
  if (!o || typeof o !== "object") throw bad("expected a JSON object");
  if (o.format !== FAILED_CALL_FORMAT) throw bad(`format is ${JSON.stringify(o.format)}, expected "${FAILED_CALL_FORMAT}"`);
  for (const k of ["function", "sha256", "entry", "time"] as const) if (typeof o[k] !== "string") throw bad(`'${k}' must be a string`);
  for (const k of ["memory_limit_bytes", "timeout_ms"] as const) if (typeof o[k] !== "number") throw bad(`'${k}' must be a number`);
  if (!Array.isArray(o.args) || !Array.isArray(o.reads) || !Array.isArray(o.capabilities)) throw bad("'args', 'reads' and 'capabilities' must be arrays");
  const a = o.answers;
  if (!a || !Array.isArray(a.now) || !Array.isArray(a.random) || !Array.isArray(a.http)) throw bad("'answers' must hold now, random and http arrays");
  if (!o.error || typeof o.error.code !== "string" || typeof o.error.message !== "string") throw bad("'error' must hold code and message");
  const reads: RecordedRead[] = o.reads.map((r) =>
    "exists" in r ? { key: bytesFromJson(r.key), exists: r.exists === true } : { key: bytesFromJson(r.key), value: r.value === null ? null : bytesFromJson(r.value) },
  );
  const record: RecordedCall = {
    function: o.function!,
    entry: o.entry!,
    sha256: o.sha256!,
    args: o.args.map(bytesFromJson),
    readOnly: o.read_only === true,
    capabilities: o.capabilities,
    memory_limit_bytes: o.memory_limit_bytes!,
    timeout_ms: o.timeout_ms!,
    time: Date.parse(o.time!),
    reads,
    answers: { now: [...a.now], random: [...a.random], http: a.http.map((h) => ({ request: h.request, response: h.response })) },
  };
  return { ...(o as FailedCallJSON), record };
}

/**
 * Puts what the call read into `store`: each key's first answer. A key only tested for existence
 * gets an empty value; a key that was absent stays absent.
 */
export function seedReads(store: MemoryStore, reads: readonly RecordedRead[]): void {
  const seeds = new Map<string, { key: Uint8Array; value?: Uint8Array | null; exists?: boolean }>();
  for (const r of reads) {
    const id = keyId(r.key);
    let s = seeds.get(id);
    if (s === undefined) seeds.set(id, (s = { key: r.key }));
    if (!("exists" in r)) {
      if (s.value === undefined) s.value = r.value;
    } else s.exists ??= r.exists;
  }
  for (const s of seeds.values()) {
    const value = s.value !== undefined ? s.value : s.exists ? new Uint8Array(0) : null;
    if (value === null) store.delete(s.key);
    else store.set(s.key, value);
  }
}

export interface ReplayOptions {
  /** The name the function is loaded under in `rt`, when not the recorded one. */
  function?: string;
}

/**
 * Runs a recorded failed call again on `rt`, whose store must be a MemoryStore (createRuntime's
 * default, or a project's): the store is seeded with what the call read, and time, random and
 * http come from the record. Returns the call's result.
 */
export function replayFailedCall(rt: Runtime, failed: FailedCallJSON | RecordedCall | unknown, options: ReplayOptions = {}): CallResult {
  const record = isRecordedCall(failed) ? failed : failedCallFromJSON(failed).record;
  if (!(rt.store instanceof MemoryStore)) {
    throw new Error("replayFailedCall needs a runtime on a MemoryStore (createRuntime's default): it seeds the keyspace with what the call read");
  }
  seedReads(rt.store, record.reads);
  // A changed module may ask for the time where the failed call did not: it gets the call's start.
  const answers = record.answers.now.length > 0 ? record.answers : { ...record.answers, now: [record.time] };
  return rt.call(options.function ?? record.function, record.args, { readOnly: record.readOnly, answers });
}

function isRecordedCall(v: unknown): v is RecordedCall {
  return typeof v === "object" && v !== null && Array.isArray((v as RecordedCall).args) && (v as RecordedCall).args.every((a) => a instanceof Uint8Array) && "readOnly" in v;
}
