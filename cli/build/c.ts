// C in the build's language table: clang for wasm32, linked by wasm-ld (lld), no C library. The
// function's source is one translation unit; ferrite.h and ferrite_json.h come from the toolkit's
// c/ folder. Flags (docs/lang-c.md says why each):
// - ABI v1's features and nothing newer: -mcpu=mvp plus bulk memory, sign extension,
//   non-trapping float-to-int and mutable globals;
// - -nostdlib and --no-entry: a library of exports, no libc, no _start;
// - a 64 KiB stack (-z stack-size), stripped release builds (--strip-all).
// Compiling and linking are two steps: clang links by running wasm-ld and then any `wasm-opt` on
// PATH (npm's binaryen puts one in node_modules/.bin), which rewrites the module with its own
// default features and fails on bulk memory. Calling wasm-ld ourselves keeps the module as linked.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import type { CompileRequest, Compiled, LanguageBuilder } from "./languages.js";
import { projectInputs, readDepFile, runTool, which } from "./tools.js";
import { toolkitRoot, toolkitVersion } from "../shared/toolkit.js";

/** Stack for C modules, in bytes (wasm-ld -z stack-size). */
export const C_STACK_SIZE = 65536;

/** Flags every C function is compiled with, before optimization and output flags. */
export const C_FLAGS = [
  "--target=wasm32",
  "-mcpu=mvp", "-mbulk-memory", "-msign-ext", "-mnontrapping-fptoint", "-mmutable-globals",
  "-fno-color-diagnostics",
  "-Wall",
] as const;

/** wasm-ld flags: a library of exports (no _start, no libc), a 64 KiB stack. */
export const LINK_FLAGS = ["-m", "wasm32", "--no-entry", "-z", `stack-size=${C_STACK_SIZE}`] as const;

const FIX = "install clang and lld: `apt install clang lld` on Debian/Ubuntu, `brew install llvm` on macOS; FERRITE_CLANG=/path/to/clang picks one explicitly";

export interface CToolchain {
  clang: string;
  wasmLd: string;
  /** "clang version 14.0.6" */
  version: string;
}

let found: Promise<CToolchain | string> | undefined;

/** clang that can target wasm32 and link with wasm-ld; a message saying what is missing otherwise. */
export function findClang(): Promise<CToolchain | string> {
  return (found ??= search());
}

async function search(): Promise<CToolchain | string> {
  const clang = process.env.FERRITE_CLANG ?? which("clang");
  if (!clang) return "clang is not on PATH";
  const version = await runTool(clang, ["--version"]);
  if (version.code !== 0) return `${clang} does not run (${version.startError ?? version.stderr.trim()})`;
  const name = /clang version [\d.]+/.exec(version.stdout)?.[0] ?? version.stdout.split("\n")[0];
  const targets = await runTool(clang, ["--print-targets"]);
  if (!/\bwasm32\b/.test(targets.stdout)) return `${clang} (${name}) cannot target wasm32`;
  const named = (await runTool(clang, ["--target=wasm32", "-print-prog-name=wasm-ld"])).stdout.trim();
  const wasmLd = process.env.FERRITE_WASM_LD ?? (named && path.isAbsolute(named) ? named : which(named || "wasm-ld"));
  if (!wasmLd) return `${clang} (${name}) finds no wasm-ld (lld's WebAssembly linker)`;
  return { clang, wasmLd, version: name };
}

/** The folder holding ferrite.h and ferrite_json.h. */
export function headerDir(): string {
  return path.join(toolkitRoot(), "c");
}

let fingerprint: string | undefined;

export const c: LanguageBuilder = {
  /** The toolkit version, the headers and the flags. */
  fingerprint() {
    if (fingerprint) return fingerprint;
    const hash = createHash("sha256").update(toolkitVersion()).update(C_FLAGS.join(" ")).update(LINK_FLAGS.join(" "));
    try {
      for (const file of readdirSync(headerDir()).sort()) hash.update(file).update(readFileSync(path.join(headerDir(), file)));
    } catch {
      // an incomplete install: the build reports it
    }
    return (fingerprint = hash.digest("hex"));
  },

  async compile({ fn, manifest, debug }: CompileRequest): Promise<Compiled> {
    const started = performance.now();
    const toolchain = await findClang();
    if (typeof toolchain === "string") {
      return { ok: false, inputs: [fn.source], diagnostics: [error(`${toolchain}; ${FIX}`)], durationMs: performance.now() - started };
    }
    const tmp = await mkdtemp(path.join(os.tmpdir(), "ferrite-c-"));
    try {
      const object = path.join(tmp, `${fn.name}.o`);
      const out = path.join(tmp, `${fn.name}.wasm`);
      const depFile = path.join(tmp, "deps.d");
      const compileArgs = [
        ...C_FLAGS,
        ...(debug ? ["-O0", "-g"] : [manifest.optimize === "speed" ? "-O2" : "-Oz"]),
        "-I", headerDir(),
        "-MD", "-MF", depFile,
        "-c", "-o", object,
        path.relative(manifest.root, fn.sourcePath),
      ];
      const compiled = await runTool(toolchain.clang, compileArgs, { cwd: manifest.root });
      const diagnostics = parseClangOutput(compiled.stderr);
      const failed = (result: typeof compiled, tool: string): Compiled => {
        if (!diagnostics.some((d) => d.category === "error")) diagnostics.push(error(result.startError ?? (result.stderr.trim() || `${tool} exited with ${result.code}`)));
        return { ok: false, inputs: [fn.source], diagnostics, durationMs: performance.now() - started };
      };
      if (compiled.code !== 0) return failed(compiled, "clang");
      const linkArgs = [...LINK_FLAGS, ...(debug ? [] : ["--strip-all"]), "-o", out, object];
      const linked = await runTool(toolchain.wasmLd, linkArgs, { cwd: manifest.root });
      diagnostics.push(...parseClangOutput(linked.stderr));
      if (linked.code !== 0) return failed(linked, "wasm-ld");
      const wasm = new Uint8Array(await readFile(out));
      const deps = await readDepFile(depFile);
      return {
        ok: true,
        wasm,
        inputs: projectInputs([...deps, fn.sourcePath], manifest.root),
        diagnostics,
        durationMs: performance.now() - started,
      };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};

function error(message: string): Diagnostic {
  return { file: "", line: 0, column: 0, category: "error", code: 0, message };
}

const CLANG_LINE = /^(.+?):(\d+):(\d+): (fatal error|error|warning): (.*)$/;
const LINKER_LINE = /^(?:\S*\/)?wasm-ld(?:-[\d.]+)?: (error|warning): (.*)$/;

/** clang's and wasm-ld's messages as Diagnostics; notes, carets and the final summary are dropped. */
export function parseClangOutput(stderr: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of stderr.split("\n")) {
    const m = CLANG_LINE.exec(line);
    if (m) {
      out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), category: m[4] === "warning" ? "warning" : "error", code: 0, message: m[5] });
      continue;
    }
    const l = LINKER_LINE.exec(line);
    if (l) {
      const undefinedSymbol = /undefined symbol: (\S+)/.exec(l[2]);
      const hint = undefinedSymbol
        ? ` (the module has no C library: use ferrite.h's helpers, e.g. ferrite_strlen, or define ${undefinedSymbol[1]} yourself)`
        : "";
      out.push({ file: "", line: 0, column: 0, category: l[1] === "warning" ? "warning" : "error", code: 0, message: `wasm-ld: ${l[2]}${hint}` });
    }
  }
  return out;
}
