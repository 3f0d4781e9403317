// The specification's [wasm] defaults and the function-name rule, shared by the runtime, the
// server's config schema and the CLI's manifest so they cannot drift apart.
import type { Capability } from "./options.js";

export const DEFAULTS = {
  memoryLimit: "10MB",
  timeoutMs: 1000,
  capabilities: ["read", "log"] as readonly Capability[],
  maxFunctions: 100,
  /** Largest module a load takes (spec extension: [wasm] max_module_size). */
  maxModuleSize: "16MB",
  /** Most functions a module may define ([wasm] max_module_functions): instrumenting costs per function. */
  maxModuleFunctions: 50_000,
} as const;

/** Names WASM.LOAD accepts: 1-128 letters, digits, _ . : or -. */
export const FUNCTION_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
