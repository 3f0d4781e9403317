// Extra entry file the build compiles next to the user's (asconfig.json "entries"): it exports the
// ABI's ferrite_alloc, so guest code never has to, and loads the files the asconfig `--use`
// aliases name (abort, trace, seed, console). It imports by package name, not "./", so these are
// the very same files, and the same allocator, as the ones guest code gets from "ferrite-wasm/sdk".

export { ferrite_alloc } from "ferrite-wasm/sdk/memory";
import "ferrite-wasm/sdk/abort";
import "ferrite-wasm/sdk/log";
import "ferrite-wasm/sdk/time";
