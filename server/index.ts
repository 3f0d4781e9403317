// ferrite-wasm's RESP server as a library: startServer, its configuration, and the typed client.
export { startServer, ServerStartError } from "./server.js";
export type { FerriteServer, ServerOptions } from "./server.js";
export type { Logger, LogLevel } from "./context.js";
export { loadConfig, parseConfig, ConfigError } from "./config/load.js";
export type { LoadConfigOptions } from "./config/load.js";
export { DEFAULT_CONFIG, configSchema } from "./config/schema.js";
export type { ConfigInput, FerriteConfig, ServerConfig, WasmConfig } from "./config/schema.js";
export { COMMANDS, FLAGS, checkFlag } from "./commands/index.js";
export type { VersionRecord } from "./versions.js";
