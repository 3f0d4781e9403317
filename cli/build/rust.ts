// Rust in the build's language table: cargo for wasm32-unknown-unknown on the crate around the
// function's source, with the settings a Ferrite module needs (docs/lang-rust.md):
// - the toolkit's ferrite-wasm crate patched in, so Cargo.toml can say `ferrite-wasm = "0.1"`;
// - a 64 KiB stack unless the crate sets its own link args (Rust's 1 MiB default is part of the
//   initial memory and would not load under MEMORY 1MB);
// - stripped release builds (names and debug info are most of an unstripped module).
// It finds a toolchain that has the wasm32 standard library: rustup's first on PATH often has not.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import type { CompileRequest, Compiled, LanguageBuilder } from "./languages.js";
import { projectInputs, readDepFile, runTool, which } from "./tools.js";
import { toolkitRoot, toolkitVersion } from "../shared/toolkit.js";

export const RUST_TARGET = "wasm32-unknown-unknown";
/** Stack for Rust modules, in bytes (-zstack-size). */
export const RUST_STACK_SIZE = 65536;
/** Where Debian keeps packaged crates (librust-*-dev). */
export const DEBIAN_REGISTRY = "/usr/share/cargo/registry";

export interface RustToolchain {
  rustc: string;
  cargo: string;
  /** "rustc 1.63.0" */
  version: string;
}

/** Why a toolchain was passed over, for the message when none fits. */
interface Rejected {
  rustc: string;
  why: string;
}

const FIX =
  "install the wasm32 standard library: `rustup target add wasm32-unknown-unknown` with rustup, or on Debian/Ubuntu " +
  "`apt install cargo rustc libstd-rust-dev-wasm32` (ferrite-wasm then uses /usr/bin/rustc even when rustup's comes first on PATH); " +
  "FERRITE_RUSTC=/path/to/rustc picks one explicitly";

let found: Promise<RustToolchain | Rejected[]> | undefined;

/** The toolchain the build uses: FERRITE_RUSTC if set, else the first of PATH's rustc and /usr/bin/rustc that can target wasm32. */
export function findRustToolchain(): Promise<RustToolchain | Rejected[]> {
  return (found ??= search());
}

async function search(): Promise<RustToolchain | Rejected[]> {
  const explicit = process.env.FERRITE_RUSTC;
  const candidates = explicit ? [explicit] : [which("rustc"), "/usr/bin/rustc"].filter((c): c is string => c !== null);
  const rejected: Rejected[] = [];
  const seen = new Set<string>();
  for (const rustc of candidates) {
    let real: string;
    try {
      real = realpathSync(rustc);
    } catch {
      rejected.push({ rustc, why: "not found" });
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const result = await probe(rustc);
    if ("why" in result) rejected.push(result);
    else return result;
  }
  return rejected;
}

async function probe(rustc: string): Promise<RustToolchain | Rejected> {
  const version = await runTool(rustc, ["--version"]);
  if (version.code !== 0) return { rustc, why: `does not run (${version.startError ?? version.stderr.trim().split("\n")[0]})` };
  const name = version.stdout.trim().split(" ").slice(0, 2).join(" ");
  const sysroot = (await runTool(rustc, ["--print", "sysroot"])).stdout.trim();
  const libDir = path.join(sysroot, "lib", "rustlib", RUST_TARGET, "lib");
  const libs = await readdir(libDir).catch(() => [] as string[]);
  if (!libs.some((f) => f.startsWith("libstd-") && f.endsWith(".rlib"))) {
    return { rustc, why: `${name} has no ${RUST_TARGET} standard library (nothing in ${libDir})` };
  }
  const cargo = process.env.FERRITE_CARGO ?? [path.join(path.dirname(rustc), "cargo"), which("cargo")].find((c) => c && existsSync(c));
  if (!cargo) return { rustc, why: `${name} has no cargo beside it or on PATH` };
  return { rustc: path.resolve(rustc), cargo: path.resolve(cargo), version: name };
}

/** The ferrite-wasm crate shipped with the toolkit. */
export function crateDir(): string {
  return path.join(toolkitRoot(), "rust", "ferrite-wasm");
}

let fingerprint: string | undefined;

export const rust: LanguageBuilder = {
  /** The toolkit version, the crate's sources and the flags below. */
  fingerprint() {
    if (fingerprint) return fingerprint;
    const hash = createHash("sha256").update(toolkitVersion()).update(`rust ${RUST_TARGET} ${RUST_STACK_SIZE}`);
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== "target") walk(file);
        } else hash.update(entry.name).update(readFileSync(file));
      }
    };
    try {
      walk(crateDir());
    } catch {
      // an incomplete install: the build reports it
    }
    return (fingerprint = hash.digest("hex"));
  },

  async compile({ fn, manifest, debug }: CompileRequest): Promise<Compiled> {
    const started = performance.now();
    const done = (partial: Partial<Compiled> & { diagnostics: Diagnostic[] }): Compiled => ({
      ok: false,
      inputs: [fn.source],
      durationMs: performance.now() - started,
      ...partial,
    });
    const cargoToml = findCargoToml(fn.sourcePath, manifest.root);
    if (!cargoToml) {
      return done({
        diagnostics: [error(`${fn.source} is not inside a cargo crate (no Cargo.toml above it in the project); a Rust function is a crate with crate-type = ["cdylib"]: \`ferrite-wasm new NAME --lang rust\` makes one`)],
      });
    }
    const toolchain = await findRustToolchain();
    if (Array.isArray(toolchain)) {
      const tried = toolchain.map((r) => `${r.rustc}: ${r.why}`).join("; ");
      return done({ diagnostics: [error(`no Rust toolchain here can build for ${RUST_TARGET} (${tried || "no rustc on PATH or in /usr/bin"}); ${FIX}`)] });
    }

    const crate = path.dirname(cargoToml);
    const realCargoToml = realpathSync(cargoToml);
    const args = [
      "build",
      "--manifest-path", cargoToml,
      "--target", RUST_TARGET,
      "--message-format=json",
      // Cargo.toml says ferrite-wasm = "0.1"; this is the copy that matches this toolkit.
      "--config", `patch.crates-io.ferrite-wasm.path=${JSON.stringify(crateDir())}`,
      // Only used when neither RUSTFLAGS nor the crate's target.wasm32-unknown-unknown.rustflags is set.
      "--config", `build.rustflags=["-C", "link-arg=-zstack-size=${RUST_STACK_SIZE}"]`,
    ];
    if (!debug) {
      args.push("--release");
      args.push("--config", `profile.release.opt-level=${manifest.optimize === "speed" ? "3" : '"s"'}`);
      args.push("--config", "profile.release.strip=true");
    }
    const result = await runTool(toolchain.cargo, args, { cwd: crate, env: { RUSTC: toolchain.rustc, CARGO_TERM_COLOR: "never" } });
    if (result.code === -1) return done({ diagnostics: [error(`could not run ${toolchain.cargo} (${result.startError}); ${FIX}`)] });

    const diagnostics: Diagnostic[] = [];
    let artifact: string | undefined;
    for (const line of result.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      let message: CargoMessage;
      try {
        message = JSON.parse(line) as CargoMessage;
      } catch {
        continue;
      }
      if (message.reason === "compiler-message" && message.message) {
        const d = toDiagnostic(message.message, crate, manifest.root);
        if (d) diagnostics.push(d);
      } else if (message.reason === "compiler-artifact" && [cargoToml, realCargoToml].includes(message.manifest_path ?? "") && message.target?.kind.includes("cdylib")) {
        artifact = message.filenames?.find((f) => f.endsWith(".wasm"));
      }
    }
    if (result.code !== 0 && !diagnostics.some((d) => d.category === "error")) {
      diagnostics.push(error(cargoFailure(result.stderr)));
    }
    if (result.code === 0 && !artifact) {
      const dependencies = result.stdout.includes('"compiler-artifact"');
      diagnostics.push(error(`${path.relative(manifest.root, cargoToml)} builds no cdylib${dependencies ? "" : " (or cargo built nothing)"}: add [lib] crate-type = ["cdylib"] to it`));
    }
    if (result.code !== 0 || !artifact) return done({ diagnostics });

    const wasm = new Uint8Array(await readFile(artifact));
    const hint = stackHint(wasm, fn.memoryBytes);
    if (hint) diagnostics.push(hint);
    const deps = await readDepFile(artifact.replace(/\.wasm$/, ".d"));
    const extra = ["Cargo.toml", "Cargo.lock", ".cargo/config.toml", ".cargo/config"].map((f) => path.join(crate, f)).filter((f) => existsSync(f));
    return {
      ok: true,
      wasm,
      inputs: projectInputs([...deps, ...extra, fn.sourcePath], manifest.root),
      diagnostics,
      durationMs: performance.now() - started,
    };
  },
};

/**
 * When the module's initial memory is over the function's limit because of a big stack (Rust's
 * default is 1 MiB), says how to shrink it: the ABI report alone only says "initial memory too big".
 */
export function stackHint(wasm: Uint8Array, memoryLimit: number): Diagnostic | null {
  const layout = memoryLayout(wasm);
  if (!layout || layout.initialBytes <= memoryLimit || layout.stackPointer === null || layout.stackPointer < 256 * 1024) return null;
  const kib = Math.round(layout.stackPointer / 1024);
  return {
    file: "", line: 0, column: 0, category: "warning", code: 0,
    message: `the module reserves a ${kib} KiB stack (Rust's default is 1 MiB), which is most of its ${Math.round(layout.initialBytes / 1024)} KiB initial memory: ` +
      `set rustflags = ["-C", "link-arg=-zstack-size=${RUST_STACK_SIZE}"] under [target.${RUST_TARGET}] in .cargo/config.toml (see docs/lang-rust.md)`,
  };
}

/** Initial memory and the first global's i32 initializer (wasm-ld's __stack_pointer), read from the binary. */
function memoryLayout(wasm: Uint8Array): { initialBytes: number; stackPointer: number | null } | null {
  let at = 8;
  let initialBytes: number | null = null;
  let stackPointer: number | null = null;
  const leb = (signed = false): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = wasm[at++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (signed && byte & 0x40) result -= 2 ** shift;
    return result;
  };
  while (at < wasm.length) {
    const id = wasm[at++];
    const size = leb();
    const end = at + size;
    if (id === 5 && leb() > 0) {
      const flags = leb();
      initialBytes = leb() * 65536;
      if (flags & 1) leb();
    } else if (id === 6 && leb() > 0 && wasm[at] === 0x7f) {
      at += 2; // type i32, mutability
      if (wasm[at++] === 0x41) stackPointer = leb(true);
    }
    at = end;
  }
  return initialBytes === null ? null : { initialBytes, stackPointer };
}

/** Cargo.toml in the source's folder or one above it, up to the project root. */
function findCargoToml(source: string, root: string): string | null {
  let dir = path.dirname(source);
  for (;;) {
    const candidate = path.join(dir, "Cargo.toml");
    if (existsSync(candidate)) return candidate;
    if (path.relative(root, dir) === "" || dir === path.dirname(dir)) return null;
    dir = path.dirname(dir);
  }
}

interface CargoMessage {
  reason: string;
  manifest_path?: string;
  target?: { kind: string[] };
  filenames?: string[];
  message?: RustcMessage;
}

interface RustcMessage {
  message: string;
  level: string;
  code?: { code: string } | null;
  spans: { file_name: string; line_start: number; column_start: number; is_primary: boolean }[];
  children: { message: string; level: string }[];
}

function error(message: string): Diagnostic {
  return { file: "", line: 0, column: 0, category: "error", code: 0, message };
}

/** A rustc message as a Diagnostic, positioned relative to the project root; null for summaries. */
function toDiagnostic(m: RustcMessage, crate: string, root: string): Diagnostic | null {
  const category = m.level === "error" ? "error" : m.level === "warning" ? "warning" : null;
  if (!category) return null;
  if (/^(aborting due to|\d+ warnings? emitted)/.test(m.message)) return null;
  const span = m.spans.find((s) => s.is_primary) ?? m.spans[0];
  const help = m.children.find((c) => c.level === "help")?.message;
  const message = `${m.message}${m.code?.code ? ` [${m.code.code}]` : ""}${help ? ` (help: ${help})` : ""}`;
  if (!span) return { file: "", line: 0, column: 0, category, code: 0, message };
  const file = path.relative(root, path.resolve(crate, span.file_name)).split(path.sep).join("/");
  return { file, line: span.line_start, column: span.column_start, category, code: 0, message };
}

/** Cargo's own error (not rustc's), with the fix for the failures a new user meets. */
function cargoFailure(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => /^(error|Caused by|\s+)/.test(l) && l.trim() !== "");
  const text = (lines.length > 0 ? lines : stderr.trim().split("\n").slice(-5)).map((l) => l.trim()).join(" ").replace(/^error: /, "");
  const missing = /no matching package named `([^`]+)` found/.exec(stderr);
  if (missing && stderr.includes(DEBIAN_REGISTRY)) {
    return `cargo: ${text}; the crate '${missing[1]}' is not among Debian's packaged crates in ${DEBIAN_REGISTRY}: install it (\`apt install librust-${missing[1].replace(/_/g, "-")}-dev\`) or delete the [source.*] lines in .cargo/config.toml to use crates.io`;
  }
  if (stderr.includes(DEBIAN_REGISTRY) && /failed to (read|load source)|No such file or directory/.test(stderr)) {
    return `cargo: ${text}; .cargo/config.toml takes crates from Debian's packages in ${DEBIAN_REGISTRY}, which this machine lacks: \`apt install librust-serde-json-dev\` (and the crates you use), or delete the [source.*] lines to use crates.io`;
  }
  if (/network failure|failed to resolve address|Unable to update registry/.test(stderr)) {
    return `cargo: ${text}; cargo could not reach crates.io: build offline from Debian's packaged crates (apt install librust-serde-json-dev and the like) with the [source.*] lines the templates keep in .cargo/config.toml, or fetch the crates once with network (cargo fetch)`;
  }
  return `cargo: ${text}`;
}
