// ferrite-wasm/server: the RESP server as a library, startServer and its configuration. The typed
// client is ferrite-wasm/client. Every name here is public (test/package checks the list).
export { startServer, ServerStartError } from "./server.js";
export type { FerriteServer, ServerOptions } from "./server.js";
export type { Logger, LogLevel } from "./context.js";
export { loadConfig, parseConfig, ConfigError } from "./config/load.js";
export type { LoadConfigOptions } from "./config/load.js";
export { DEFAULT_CONFIG } from "./config/schema.js";
export type { ConfigInput, FerriteConfig, ServerConfig, WasmConfig } from "./config/schema.js";
export type { VersionRecord } from "./versions.js";
