// ferrite-wasm/runtime: the simulator as a library.
export { createRuntime, Runtime, DEFAULTS } from "./runtime.js";
export { MemoryStore } from "./store/memory-store.js";
export { FerriteError, isFerriteError } from "./errors.js";
export { CAPABILITIES, parseCapabilities } from "./capabilities.js";
export { parseMemoryLimit, formatBytes } from "./limits/memory.js";
export { prepareModule } from "./module.js";
export type { Store } from "./store/store.js";
export type { ErrorCode, LoadErrorCode, CallErrorCode } from "./errors.js";
export type {
  AllStats,
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
  RuntimeDefaults,
  RuntimeOptions,
} from "./options.js";
