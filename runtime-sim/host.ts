// ferrite-wasm's second runtime entry, for programs that host the runtime (the RESP server): the
// plumbing a host needs beside the public entry to back the store and ferrite_http. Authors never
// need it; the public entry is index.ts.
export { errors, FerriteReplyError, replyCode } from "./errors.js";
export type { CliErrorCode } from "./errors.js";
export { DEFAULTS, FUNCTION_NAME } from "./defaults.js";
export { humanBytes } from "./limits/memory.js";
export { compileGlob, globMatch } from "./store/glob.js";
export { keyId, keyBytes, toBytes } from "./store/store.js";
export { WorkerBridge, BridgeError, WORKER_PROTOCOL } from "./worker-bridge.js";
export type { BridgeAnswer } from "./worker-bridge.js";
export { HttpBridge } from "./http/bridge.js";
// For the CLI's module report (`ferrite-wasm check`/`build`): the runtime's own checks, so its
// messages match the server's, and which capability each host import needs.
export { prepareModule } from "./module.js";
export type { PreparedModule } from "./module.js";
// Prepared modules on disk, where the CLI keeps them (node_modules/.cache/ferrite-wasm).
export { DiskCache } from "./prepare/disk-cache.js";
export { HOST_BY_NAME } from "./abi/host-table.js";
export { WASM_PAGE } from "./limits/memory.js";
// The flight recorder's record format (the server writes it; replayFailedCall reads it).
export { failedCallToJSON, failedCallFromJSON, FAILED_CALL_FORMAT } from "./replay.js";
export type { FailedCallMeta } from "./replay.js";
export type { WaitBudget } from "./limits/deadline.js";
// The toolkit's version (the server reports it; the disk cache keys entries by it).
export { toolkitVersion } from "./prepare/location.js";
// The async store path: a host that keeps the keyspace elsewhere (Redis) implements AsyncStore.
export { isAsyncStore } from "./store/async.js";
export type { AsyncStore, ReadEntry } from "./store/async.js";
