// One error model for the whole toolkit: every failure is a FerriteError with a code from one union,
// `data` typed per code, and a RESP error line whose first word tells a client the kind (as Redis's
// NOSCRIPT, WRONGTYPE, NOPERM do). Reply texts are built here only; docs/abi.md lists the words.

type None = { [key: string]: never };

/** What each code carries in `error.data`, by who raises it. */
export interface ErrorData {
  // Loading and managing functions (WASM.LOAD, LOADB, UPDATE, RELOAD, ...)
  ERR_INVALID_MODULE: None;
  ERR_IMPORT: { import: string };
  ERR_EXPORT: { export: string };
  ERR_ENTRY: { export?: string; exports?: string[]; entries?: string[] };
  ERR_UNSUPPORTED: { instruction?: string; function?: string; feature?: string };
  ERR_MEMORY_INITIAL: { initial_bytes: number; limit_bytes: number };
  /** [wasm] memory_budget: the functions' limits would add up past it. */
  ERR_MEMORY_BUDGET: { limit_bytes: number; others_bytes: number; budget_bytes: number };
  /** Over [wasm] max_module_size (size_bytes) or max_module_functions (functions). */
  ERR_MODULE_LIMIT: { size_bytes?: number; limit_bytes?: number; functions?: number; limit_functions?: number; path?: string };
  ERR_EXISTS: None;
  ERR_UNKNOWN_FUNCTION: None;
  ERR_CAPABILITY_UNKNOWN: { capability: string };
  ERR_CAPABILITY_NOT_ALLOWED: { capability: string };
  ERR_MEMORY_LIMIT_INVALID: { value: string };
  ERR_TIMEOUT_INVALID: { value: string };
  ERR_TOO_MANY_FUNCTIONS: None;
  ERR_PATH: { path?: string };
  ERR_NO_FILE: None;
  ERR_NAME: None;
  // One call (WASM.CALL, WASM.CALLREAD, a trigger's call)
  ERR_GUEST: None;
  ERR_STATUS: { status: number };
  ERR_TRAP: { reason: string; position?: string | null };
  ERR_TIMEOUT: { timeout_ms: number };
  ERR_MEMORY: { limit: string };
  ERR_CAPABILITY: { capability: string; import: string; key?: string };
  ERR_READONLY: { import: string };
  ERR_BOUNDS: { import: string; ptr: number; len: number; memory_bytes: number };
  ERR_ABI: None;
  ERR_STORE: None;
  /** A call over a Redis store could not commit before its TIMEOUT: the keys it read kept changing
   * (`attempts` runs); or two servers changed one function at the same moment (no data). */
  ERR_CONTENTION: { attempts?: number; timeout_ms?: number };
  /** A worker bridge (store, ferrite_http) failed; `reply`: the worker's answer was an error reply. */
  ERR_BRIDGE: { reply: boolean };
  // The server
  ERR_PERSIST: None;
  ERR_UNKNOWN_TRIGGER: { trigger: string };
  ERR_TRIGGER_EXISTS: { trigger: string };
  ERR_CONFIG: { file: string | null; key: string | null };
  ERR_SERVER_START: None;
  /** Redis's generic ERR: syntax, arguments, unknown command. */
  ERR_COMMAND: None;
  ERR_WRONGTYPE: None;
  ERR_NOAUTH: None;
  ERR_WRONGPASS: None;
  ERR_NOPROTO: None;
  /** A user's ACL refused a command or a key (data set when a function's host call was refused). */
  ERR_NOPERM: { key?: string; import?: string; user?: string };
  /** A reply whose first word this toolkit does not define (passed on from a Redis store). */
  ERR_REPLY: None;
  /** The server does not know WASM.* (a plain Redis, a released Ferrite). */
  ERR_NO_FUNCTIONS: None;
  // The CLI (CliError: `fix` and `details` beside the message)
  ERR_MANIFEST: None;
  ERR_NO_MANIFEST: None;
  ERR_USAGE: None;
  ERR_FILE: None;
  ERR_COMPILE: None;
  ERR_CALL: None;
  ERR_TEMPLATE: None;
  ERR_TARGET_EXISTS: None;
  ERR_TESTS: None;
  ERR_TOOLKIT: None;
  ERR_CONNECT: None;
  ERR_AUTH: None;
  ERR_REMOTE: None;
  ERR_VERIFY: None;
  ERR_SERVER: None;
  /** Not a failure to show: the CLI already printed it and exits with `exit_code`. */
  ERR_REPORTED: { exit_code: number };
}

export type ErrorCode = keyof ErrorData;

/** Failures of loading or managing a function (WASM.LOAD, UPDATE, RELOAD, ...). */
export type LoadErrorCode =
  | "ERR_INVALID_MODULE"
  | "ERR_IMPORT"
  | "ERR_EXPORT"
  | "ERR_ENTRY"
  | "ERR_UNSUPPORTED"
  | "ERR_MEMORY_INITIAL"
  | "ERR_MEMORY_BUDGET"
  | "ERR_MODULE_LIMIT"
  | "ERR_EXISTS"
  | "ERR_UNKNOWN_FUNCTION"
  | "ERR_CAPABILITY_UNKNOWN"
  | "ERR_CAPABILITY_NOT_ALLOWED"
  | "ERR_MEMORY_LIMIT_INVALID"
  | "ERR_TIMEOUT_INVALID"
  | "ERR_TOO_MANY_FUNCTIONS"
  | "ERR_PATH"
  | "ERR_NO_FILE"
  | "ERR_NAME";

/** Failures of one call (WASM.CALL, WASM.CALLREAD). */
export type CallErrorCode =
  | "ERR_GUEST"
  | "ERR_STATUS"
  | "ERR_TRAP"
  | "ERR_TIMEOUT"
  | "ERR_MEMORY"
  | "ERR_CAPABILITY"
  | "ERR_READONLY"
  | "ERR_BOUNDS"
  | "ERR_ABI"
  | "ERR_STORE"
  | "ERR_CONTENTION";

export type CliErrorCode =
  | "ERR_MANIFEST"
  | "ERR_NO_MANIFEST"
  | "ERR_USAGE"
  | "ERR_FILE"
  | "ERR_COMPILE"
  | "ERR_CALL"
  | "ERR_TEMPLATE"
  | "ERR_TARGET_EXISTS"
  | "ERR_TESTS"
  | "ERR_TOOLKIT"
  | "ERR_CONNECT"
  | "ERR_AUTH"
  | "ERR_NO_FUNCTIONS"
  | "ERR_REMOTE"
  | "ERR_NOPERM"
  | "ERR_VERIFY"
  | "ERR_SERVER";

/**
 * The first word of each code's error reply. Redis's own words where Redis has one for the same
 * thing; ERR for bad arguments, as Redis does; codes that never reach the wire say ERR.
 */
export const REPLY_WORDS = {
  ERR_INVALID_MODULE: "INVALIDMODULE",
  ERR_IMPORT: "INVALIDMODULE",
  ERR_EXPORT: "INVALIDMODULE",
  ERR_ENTRY: "INVALIDMODULE",
  ERR_UNSUPPORTED: "INVALIDMODULE",
  ERR_MEMORY_INITIAL: "MEMORY",
  ERR_MEMORY_BUDGET: "MEMORY",
  ERR_MODULE_LIMIT: "ERR",
  ERR_EXISTS: "EXISTS",
  ERR_UNKNOWN_FUNCTION: "NOFUNC",
  ERR_CAPABILITY_UNKNOWN: "ERR",
  ERR_CAPABILITY_NOT_ALLOWED: "NOCAP",
  ERR_MEMORY_LIMIT_INVALID: "ERR",
  ERR_TIMEOUT_INVALID: "ERR",
  ERR_TOO_MANY_FUNCTIONS: "ERR",
  ERR_PATH: "ERR",
  ERR_NO_FILE: "ERR",
  ERR_NAME: "ERR",
  ERR_GUEST: "FUNCERR",
  ERR_STATUS: "FUNCERR",
  ERR_TRAP: "TRAP",
  ERR_TIMEOUT: "TIMEOUT",
  ERR_MEMORY: "MEMORY",
  ERR_CAPABILITY: "NOCAP",
  ERR_READONLY: "NOWRITE",
  ERR_BOUNDS: "ABI",
  ERR_ABI: "ABI",
  ERR_STORE: "STORE",
  ERR_CONTENTION: "CONFLICT",
  ERR_BRIDGE: "ERR",
  ERR_PERSIST: "PERSIST",
  ERR_UNKNOWN_TRIGGER: "NOTRIGGER",
  ERR_TRIGGER_EXISTS: "EXISTS",
  ERR_CONFIG: "ERR",
  ERR_SERVER_START: "ERR",
  ERR_COMMAND: "ERR",
  ERR_WRONGTYPE: "WRONGTYPE",
  ERR_NOAUTH: "NOAUTH",
  ERR_WRONGPASS: "WRONGPASS",
  ERR_NOPROTO: "NOPROTO",
  ERR_NOPERM: "NOPERM",
  ERR_REPLY: "ERR",
  ERR_NO_FUNCTIONS: "ERR",
  ERR_MANIFEST: "ERR",
  ERR_NO_MANIFEST: "ERR",
  ERR_USAGE: "ERR",
  ERR_FILE: "ERR",
  ERR_COMPILE: "ERR",
  ERR_CALL: "ERR",
  ERR_TEMPLATE: "ERR",
  ERR_TARGET_EXISTS: "ERR",
  ERR_TESTS: "ERR",
  ERR_TOOLKIT: "ERR",
  ERR_CONNECT: "ERR",
  ERR_AUTH: "ERR",
  ERR_REMOTE: "ERR",
  ERR_VERIFY: "ERR",
  ERR_SERVER: "ERR",
  ERR_REPORTED: "ERR",
} as const satisfies Record<ErrorCode, string>;

/** A first word of an error reply this toolkit sends. */
export type ReplyWord = (typeof REPLY_WORDS)[ErrorCode];

// The code a reply's word stands for. Where one word covers two codes, the command decides:
// MEMORY on WASM.LOAD is the initial memory, on a call the limit reached while running.
type Context = "load" | "call" | "trigger";
const BY_WORD: Record<string, ErrorCode | Partial<Record<Context, ErrorCode>> & { load: ErrorCode }> = {
  ERR: "ERR_COMMAND",
  INVALIDMODULE: "ERR_INVALID_MODULE",
  MEMORY: { load: "ERR_MEMORY_INITIAL", call: "ERR_MEMORY" },
  EXISTS: { load: "ERR_EXISTS", trigger: "ERR_TRIGGER_EXISTS" },
  NOFUNC: "ERR_UNKNOWN_FUNCTION",
  NOCAP: { load: "ERR_CAPABILITY_NOT_ALLOWED", call: "ERR_CAPABILITY" },
  FUNCERR: "ERR_GUEST",
  TRAP: "ERR_TRAP",
  TIMEOUT: "ERR_TIMEOUT",
  NOWRITE: "ERR_READONLY",
  ABI: "ERR_ABI",
  STORE: "ERR_STORE",
  CONFLICT: "ERR_CONTENTION",
  PERSIST: "ERR_PERSIST",
  NOTRIGGER: "ERR_UNKNOWN_TRIGGER",
  WRONGTYPE: "ERR_WRONGTYPE",
  NOAUTH: "ERR_NOAUTH",
  WRONGPASS: "ERR_WRONGPASS",
  NOPROTO: "ERR_NOPROTO",
  NOPERM: "ERR_NOPERM",
};
const LOADING = new Set(["WASM.LOAD", "WASM.LOADB", "WASM.UPDATE", "WASM.RELOAD", "WASM.ROLLBACK", "WASM.UNLOAD"]);

/** The first word of an error reply. */
export function replyWord(reply: string): string {
  const space = reply.indexOf(" ");
  return space < 0 ? reply : reply.slice(0, space);
}

/** The code an error reply stands for; `command` (e.g. "WASM.CALL") settles words shared by two codes. */
export function replyCode(reply: string, command = ""): ErrorCode {
  const entry = BY_WORD[replyWord(reply)];
  if (entry === undefined) return "ERR_REPLY";
  if (typeof entry === "string") return entry;
  const cmd = command.toUpperCase();
  const context: Context = LOADING.has(cmd) ? "load" : cmd.startsWith("TRIGGER.") ? "trigger" : "call";
  return entry[context] ?? entry.load;
}

// `data` has its code's shape; read through any code (FerriteError<ErrorCode>) it is a plain record.
type DataOf<C extends ErrorCode> = ErrorData[C] & Readonly<Record<string, unknown>>;
// Codes whose data has required fields must be given it.
type DataArgs<C extends ErrorCode> = {} extends ErrorData[C] ? [data?: ErrorData[C], cause?: unknown] : [data: ErrorData[C], cause?: unknown];

export class FerriteError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  /** The function concerned, when there is one. */
  readonly function: string | null;
  /** Structured details (import name, pointer, limit, ...), typed by `code`. */
  readonly data: DataOf<C>;

  constructor(code: C, message: string, fn: string | null = null, ...[data, cause]: DataArgs<C>) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = `FerriteError [${code}]`;
    this.code = code;
    this.function = fn;
    this.data = (data ?? {}) as DataOf<C>;
  }

  /** The reply's first word: the kind of failure a client can tell without reading the text. */
  get word(): string {
    return REPLY_WORDS[this.code];
  }

  /** The RESP error line (without the leading "-"), Redis style: the word, then the message. */
  get reply(): string {
    return `${this.word} ${this.message}`;
  }
}

/**
 * A failure known by its error reply: what a server answered (the typed client), or a
 * Redis-compatible reply the server sends as is. `message` and `reply` are the whole line.
 */
export class FerriteReplyError extends FerriteError {
  readonly #reply: string;

  constructor(
    reply: string,
    /** The command that got this reply (WASM.CALL, ...), when known. */
    readonly command: string | null = null,
    code: ErrorCode = replyCode(reply, command ?? ""),
  ) {
    super(code, reply);
    this.#reply = reply;
    this.name = `FerriteReplyError [${code}]`;
  }

  override get word(): string {
    return replyWord(this.#reply);
  }

  override get reply(): string {
    return this.#reply;
  }
}

// Message builders: one place for the texts that ABI v1 fixes.
export const errors = {
  unknownFunction: (name: string) => new FerriteError("ERR_UNKNOWN_FUNCTION", `unknown function '${name}'`, name),
  exists: (name: string) =>
    new FerriteError("ERR_EXISTS", `function '${name}' already exists; add REPLACE to overwrite it`, name),
  unknownCapability: (cap: string) =>
    new FerriteError("ERR_CAPABILITY_UNKNOWN", `unknown capability '${cap}'`, null, { capability: cap }),
  capabilityNotAllowed: (cap: string, allowed: readonly string[]) =>
    new FerriteError(
      "ERR_CAPABILITY_NOT_ALLOWED",
      `capability '${cap}' is not allowed on this server (allowed: ${allowed.join(" ") || "none"})`,
      null,
      { capability: cap },
    ),
  invalidMemory: (text: string) =>
    new FerriteError("ERR_MEMORY_LIMIT_INVALID", `invalid memory limit '${text}'`, null, { value: text }),
  invalidTimeout: (text: string) =>
    new FerriteError("ERR_TIMEOUT_INVALID", `invalid timeout '${text}' (milliseconds, a whole number above 0)`, null, {
      value: text,
    }),
  lacksCapability: (fn: string, cap: string, importName: string) =>
    new FerriteError("ERR_CAPABILITY", `function '${fn}' lacks capability '${cap}' (${importName})`, fn, {
      capability: cap,
      import: importName,
    }),
  keyOutsidePatterns: (fn: string, key: string, access: string, importName: string, patterns: readonly string[]) =>
    new FerriteError(
      "ERR_CAPABILITY",
      `function '${fn}' may not ${access} key '${clipKey(key)}' (${importName}): its KEYS are ${patterns.join(" ")}`,
      fn,
      { capability: "keys", import: importName, key },
    ),
  keyNotPermitted: (fn: string, key: string, access: string, importName: string, user: string, reason: string | null = null) =>
    new FerriteError(
      "ERR_NOPERM",
      `No permissions to access a key: function '${fn}' tried to ${access} '${clipKey(key)}' (${importName}), ${reason ?? `outside the key patterns of user '${user}'`}`,
      fn,
      { key, import: importName, user },
    ),
  readOnlyWrite: (fn: string, importName: string) =>
    new FerriteError("ERR_READONLY", `function '${fn}' attempted a write in WASM.CALLREAD`, fn, { import: importName }),
  status: (fn: string, status: number) =>
    new FerriteError("ERR_STATUS", `function '${fn}' returned status ${status}`, fn, { status }),
  trapped: (fn: string, reason: string, position?: string) =>
    new FerriteError("ERR_TRAP", `function '${fn}' trapped: ${reason}${position ? ` at ${position}` : ""}`, fn, {
      reason,
      position: position ?? null,
    }),
  timedOut: (fn: string, ms: number) =>
    new FerriteError("ERR_TIMEOUT", `function '${fn}' timed out after ${ms} ms`, fn, { timeout_ms: ms }),
  memory: (fn: string, limit: string) =>
    new FerriteError("ERR_MEMORY", `function '${fn}' exceeded its memory limit of ${limit}`, fn, { limit }),
  guest: (fn: string, message: string) => new FerriteError("ERR_GUEST", message, fn),
  bounds: (fn: string, importName: string, ptr: number, len: number, size: number) =>
    new FerriteError(
      "ERR_BOUNDS",
      `function '${fn}' passed an out-of-bounds pointer to ${importName} (ptr=${ptr}, len=${len}, memory is ${size} bytes)`,
      fn,
      { import: importName, ptr, len, memory_bytes: size },
    ),
  abi: (fn: string, message: string) => new FerriteError("ERR_ABI", `function '${fn}' broke the ABI: ${message}`, fn),
};

/** A key quoted in an error: at most 128 characters, control bytes escaped. */
function clipKey(key: string): string {
  const s = key.length > 128 ? `${key.slice(0, 128)}...` : key;
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function isFerriteError(e: unknown): e is FerriteError {
  return e instanceof FerriteError;
}
