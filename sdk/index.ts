// The guest SDK's public API: `import { input, args, keys, output, fail, log, now, random } from "ferrite-wasm/sdk"`.
// Re-exports only; see sdk/README.md.

export { input, args } from "./input";
export { keys } from "./keys";
export { output, fail } from "./output";
export { log } from "./log";
export { now, random } from "./time";
export { http, HttpRequest, HttpResponse } from "./http";
export { JSON } from "json-as";
export { ferrite_alloc } from "./memory";
