// Shared by the test/lang files: where fixtures are, and one cargo target folder for every Rust
// build the tests make, kept between runs (like the asc fixture cache), so serde_json compiles once.
import path from "node:path";
import { ROOT } from "../cli/helpers/cli.js";

export const FIXTURES = path.join(ROOT, "test/lang/fixtures");
export const CARGO_TARGET = path.join(ROOT, "node_modules/.cache/ferrite-wasm/cargo-target");
