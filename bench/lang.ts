// The validate template in AssemblyScript, Rust and C: build time (cold and after an edit) of
// `ferrite-wasm build` beside the bare compiler on the same sources in this run (asc's API
// in-process; cargo with the same flags; clang + wasm-ld), module sizes, and the time of one
// call on the runtime beside the AssemblyScript module.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { compile } from "../cli/build/asc.js";
import { findClang, C_FLAGS, LINK_FLAGS, headerDir } from "../cli/build/c.js";
import { crateDir, findRustToolchain, RUST_STACK_SIZE, RUST_TARGET } from "../cli/build/rust.js";
import { createRuntime } from "../runtime-sim/index.js";
import { measure, table } from "./lib.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist/cli.js");
const work = mkdtempSync(path.join(os.tmpdir(), "ferrite-bench-lang-"));
const ms = (t: number) => t * 1e6; // table() takes nanoseconds

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const run = (file: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(file, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });

function project(lang: string): string {
  const dir = path.join(work, lang);
  run(process.execPath, [cli, "new", dir, "--lang", lang, "--template", "validate"], work);
  return dir;
}

const touch = (file: string) => appendFileSync(file, "\n");

try {
  const rows: Array<{ name: string; ns: number; base?: number }> = [];
  const modules: Record<string, Uint8Array> = {};

  // AssemblyScript: the CLI (a process: start-up, asc, ABI check) beside asc's API in this process.
  const as = project("assemblyscript");
  const asCold = timed(() => run(process.execPath, [cli, "build"], as));
  touch(path.join(as, "assembly/validate.ts"));
  const asWarm = timed(() => run(process.execPath, [cli, "build"], as));
  await compile({ entry: path.join(as, "assembly/validate.ts"), cwd: as }); // asc is slow on its first build in a process
  const t0 = performance.now();
  await compile({ entry: path.join(as, "assembly/validate.ts"), cwd: as, optimize: "size" });
  const ascApi = performance.now() - t0;
  modules.assemblyscript = readFileSync(path.join(as, "build/validate.wasm"));
  rows.push({ name: "AssemblyScript: asc API, warm process", ns: ms(ascApi) });
  rows.push({ name: "AssemblyScript: ferrite-wasm build, new project", ns: ms(asCold), base: ms(ascApi) });
  rows.push({ name: "AssemblyScript: ferrite-wasm build after an edit", ns: ms(asWarm), base: ms(ascApi) });

  // Rust: cold = an empty target folder (serde_json and std glue compile), warm = after an edit.
  const toolchain = await findRustToolchain();
  if (!Array.isArray(toolchain)) {
    const rs = project("rust");
    const target = path.join(work, "rust-target");
    const cargoArgs = [
      "build", "--release", "--target", RUST_TARGET,
      "--config", `patch.crates-io.ferrite-wasm.path=${JSON.stringify(crateDir())}`,
      "--config", `build.rustflags=["-C", "link-arg=-zstack-size=${RUST_STACK_SIZE}"]`,
      "--config", 'profile.release.opt-level="s"', "--config", "profile.release.strip=true",
    ];
    const cargoEnv = { RUSTC: toolchain.rustc, CARGO_TARGET_DIR: path.join(work, "cargo-only") };
    const cargoCold = timed(() => run(toolchain.cargo, cargoArgs, rs, cargoEnv));
    touch(path.join(rs, "src/lib.rs"));
    const cargoWarm = timed(() => run(toolchain.cargo, cargoArgs, rs, cargoEnv));
    const rsCold = timed(() => run(process.execPath, [cli, "build"], rs, { CARGO_TARGET_DIR: target }));
    touch(path.join(rs, "src/lib.rs"));
    const rsWarm = timed(() => run(process.execPath, [cli, "build"], rs, { CARGO_TARGET_DIR: target }));
    modules.rust = readFileSync(path.join(rs, "build/validate.wasm"));
    rows.push({ name: `Rust: cargo build, empty target (${toolchain.version})`, ns: ms(cargoCold) });
    rows.push({ name: "Rust: ferrite-wasm build, empty target", ns: ms(rsCold), base: ms(cargoCold) });
    rows.push({ name: "Rust: cargo build after an edit", ns: ms(cargoWarm) });
    rows.push({ name: "Rust: ferrite-wasm build after an edit", ns: ms(rsWarm), base: ms(cargoWarm) });
  } else console.log("\n(Rust skipped: no toolchain with wasm32-unknown-unknown)");

  // C: clang + wasm-ld with the build's flags, beside the CLI.
  const clang = await findClang();
  if (typeof clang !== "string") {
    const c = project("c");
    const object = path.join(work, "validate.o");
    const bare = timed(() => {
      run(clang.clang, [...C_FLAGS, "-Oz", "-I", headerDir(), "-c", "-o", object, "src/validate.c"], c);
      run(clang.wasmLd, [...LINK_FLAGS, "--strip-all", "-o", path.join(work, "c.wasm"), object], c);
    });
    const viaCli = timed(() => run(process.execPath, [cli, "build"], c));
    modules.c = readFileSync(path.join(c, "build/validate.wasm"));
    rows.push({ name: `C: clang -c + wasm-ld (${clang.version})`, ns: ms(bare) });
    rows.push({ name: "C: ferrite-wasm build", ns: ms(viaCli), base: ms(bare) });
  } else console.log(`\n(C skipped: ${clang})`);

  table("validate template: build time (one run each; the CLI rows include node start-up and the ABI check)", rows);

  console.log("\n## validate template: module size");
  console.log("| language | raw | gzip | initial memory |");
  console.log("|---|---|---|---|");
  for (const [lang, wasm] of Object.entries(modules)) {
    const pages = new WebAssembly.Module(wasm);
    const memory = WebAssembly.Module.exports(pages).some((e) => e.kind === "memory") ? initialKb(wasm) : "?";
    console.log(`| ${lang} | ${(wasm.length / 1024).toFixed(1)} KB | ${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(1)} KB | ${memory} |`);
  }

  const rt = createRuntime({ defaults: { capabilities: [] } });
  for (const [lang, wasm] of Object.entries(modules)) await rt.load(lang, wasm, { entry: "validate", memory: "1MB" });
  const input = '{"email": "ada@example.com"}';
  const calls = Object.keys(modules).map((lang) => measure(`${lang}: WASM.CALL validate`, () => rt.call(lang, [input]), { batch: 2000, samples: 11 }));
  table("validate template: one call on the runtime (baseline: the AssemblyScript module)", calls.map((c) => ({ ...c, base: c.name.startsWith("assemblyscript") ? undefined : calls[0].ns })));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The module's initial memory, from its instance (the exported memory's size before any call). */
function initialKb(wasm: Uint8Array): string {
  const env = new Proxy({}, { get: () => () => 0 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), { env } as WebAssembly.Imports);
  return `${(instance.exports.memory as WebAssembly.Memory).buffer.byteLength / 1024} KB`;
}
