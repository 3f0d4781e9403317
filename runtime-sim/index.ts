// ferrite-wasm/runtime: the simulator as a library. Every name here is public (test/package checks
// the list); hosts get their extra plumbing from host.ts.
export { createRuntime, Runtime, DEFAULTS } from "./runtime.js";
export { MemoryStore } from "./store/memory-store.js";
export { FerriteError, isFerriteError } from "./errors.js";
export { CAPABILITIES, parseCapabilities } from "./capabilities.js";
export { parseMemoryLimit, formatBytes } from "./limits/memory.js";
export { replayFailedCall } from "./replay.js";
export type { FailedCallJSON, ReplayOptions } from "./replay.js";
export { parseTimeout } from "./limits/deadline.js";
export type { Store } from "./store/store.js";
export type { KeyPermissions } from "./capabilities.js";
export type { AsyncStore, ReadEntry } from "./store/async.js";
export type { ErrorCode, ErrorData, LoadErrorCode, CallErrorCode, ReplyWord } from "./errors.js";
export type {
  AllStats,
  AsyncHttpHandler,
  CallArg,
  CallOptions,
  CallResult,
  Capability,
  FunctionInfo,
  FunctionSettings,
  FunctionStats,
  HostCall,
  HttpHandler,
  HttpRequest,
  HttpResponse,
  KeyWrite,
  LoadOptions,
  LogEntry,
  LogLevel,
  RecordedAnswers,
  RecordedCall,
  RecordedRead,
  RuntimeDefaults,
  RuntimeOptions,
} from "./options.js";
