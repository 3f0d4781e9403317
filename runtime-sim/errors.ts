// Every failure the runtime reports is a FerriteError with a code; the reply text is built here only.

/** Failures of loading or managing a function (WASM.LOAD, UPDATE, RELOAD, ...). */
export type LoadErrorCode =
  | "ERR_INVALID_MODULE"
  | "ERR_IMPORT"
  | "ERR_EXPORT"
  | "ERR_ENTRY"
  | "ERR_UNSUPPORTED"
  | "ERR_MEMORY_INITIAL"
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
  | "ERR_STORE";

export type ErrorCode = LoadErrorCode | CallErrorCode;

export class FerriteError<Code extends ErrorCode = ErrorCode> extends Error {
  readonly code: Code;
  /** The function concerned, when there is one. */
  readonly function: string | null;
  /** Structured details (import name, pointer, limit, ...). */
  readonly data: Record<string, unknown>;

  constructor(code: Code, message: string, fn: string | null = null, data: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = `FerriteError [${code}]`;
    this.code = code;
    this.function = fn;
    this.data = data;
  }

  /** The RESP error line (without the leading "-"), Redis style. */
  get reply(): string {
    return `ERR ${this.message}`;
  }
}

// Message builders: one place for the texts that ABI v1 fixes.
export const errors = {
  unknownFunction: (name: string) =>
    new FerriteError("ERR_UNKNOWN_FUNCTION", `unknown function '${name}'`, name),
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

export function isFerriteError(e: unknown): e is FerriteError {
  return e instanceof FerriteError;
}
