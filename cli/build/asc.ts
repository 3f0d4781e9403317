// Compiles AssemblyScript guests in-process with the asc API, using the toolkit's own
// asconfig.json and SDK. Output and diagnostics are captured, never printed.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import asc from "assemblyscript/asc";
import { toolkitRoot } from "../shared/toolkit.js";
import { bundledPackagePaths, resolvePackageFile } from "./as-packages.js";
import type { Diagnostic, DiagnosticCategory } from "./diagnostics.js";

/** Optimization override: "speed" -O3, "size" -Oz, "none" -O0. Default: the target's (release -O3). */
export type Optimize = "speed" | "size" | "none";
/** AssemblyScript runtime: asconfig.json picks "stub"; "incremental" reclaims garbage within a call. */
export type AscRuntime = "stub" | "minimal" | "incremental";

export interface CompileOptions {
  /** The guest's entry file (AssemblyScript), absolute or relative to cwd. */
  entry: string;
  /** Build the asconfig "debug" target (no optimization, names kept) instead of "release". */
  debug?: boolean;
  /** Produce a source map beside the module. Default: true. */
  sourceMap?: boolean;
  /** Override the target's optimization level. */
  optimize?: Optimize;
  /** Override the asconfig runtime (see docs/abi.md#assemblyscript-sdk). */
  runtime?: AscRuntime;
  /** Also produce the text format (.wat). Default: false. */
  text?: boolean;
  /** Base name the module is saved under; the module names its map `./<name>.wasm.map`. Default "module". */
  outName?: string;
  /** Project directory: relative paths and node_modules resolve from here. Default: process.cwd(). */
  cwd?: string;
}

export interface CompileResult {
  /** True when a module was produced (there may still be warnings). */
  ok: boolean;
  wasm?: Uint8Array<ArrayBuffer>;
  /** Source map JSON text, when asked for. */
  sourceMap?: string;
  /** Text format, when asked for. */
  text?: string;
  diagnostics: Diagnostic[];
  /** Everything asc wrote to stderr (formatted diagnostics), for verbose output. */
  log: string;
  durationMs: number;
}

/** asc's DiagnosticCategory values. */
const CATEGORY: Record<number, DiagnosticCategory | undefined> = { 2: "warning", 3: "error" };
const OPTIMIZE: Record<Optimize, string[]> = {
  speed: ["--optimizeLevel", "3", "--shrinkLevel", "0"],
  size: ["--optimizeLevel", "1", "--shrinkLevel", "2"],
  none: ["--optimizeLevel", "0", "--shrinkLevel", "0"],
};

// asc keeps per-build state on the transform class (asc assigns `program` to its prototype),
// so builds in one process run one at a time.
let queue: Promise<unknown> = Promise.resolve();

/** Compiles one guest. Never throws for bad guest code: failures come back as diagnostics. */
export function compile(options: CompileOptions): Promise<CompileResult> {
  const run = queue.then(() => compileNow(options));
  queue = run.catch(() => undefined);
  return run;
}

async function compileNow(options: CompileOptions): Promise<CompileResult> {
  const started = performance.now();
  const root = toolkitRoot();
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const configPath = path.join(root, "asconfig.json");
  const wantMap = options.sourceMap ?? true;
  const entry = path.relative(cwd, path.resolve(cwd, options.entry)).split(path.sep).join("/");
  const out = `${path.basename(options.outName ?? "module")}.wasm`; // virtual: asc names the map and text after it

  const argv = [
    entry,
    "--config", configPath,
    "--target", options.debug ? "debug" : "release",
    "--baseDir", path.relative(process.cwd(), cwd) || ".",
    "--outFile", out,
    // json-as (imports the transform adds) and assemblyscript-json resolve from the toolkit.
    ...bundledPackagePaths(root).flatMap((dir) => ["--path", dir]),
    "--noColors",
  ];
  if (options.text) argv.push("--textFile", out.replace(/\.wasm$/, ".wat"));
  if (options.optimize) argv.push(...OPTIMIZE[options.optimize]);
  if (options.runtime) argv.push("--runtime", options.runtime);

  const sources = new Map<string, string>(); // absolute path -> text, for line/column
  const outputs = new Map<string, Uint8Array | string>();
  const raw: asc.DiagnosticMessage[] = [];
  let stderr = "";

  const readSource = async (filename: string, baseDir: string): Promise<string | null> => {
    const abs = path.resolve(baseDir, filename);
    let text: string | null;
    try {
      text = await readFile(redirect(resolvePackageFile(abs, root), root), "utf8");
    } catch {
      return null;
    }
    if (abs === configPath && !wantMap) text = withoutSourceMap(text);
    sources.set(abs, text);
    return text;
  };

  let error: Error | null = null;
  try {
    const result = await asc.main(argv, {
      stdout: { write: () => undefined },
      stderr: { write: (chunk) => void (stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString()) },
      readFile: readSource,
      writeFile: (name, contents) => void outputs.set(path.basename(name), contents),
      listFiles: async (dir, baseDir) => {
        try {
          return (await readdir(path.resolve(baseDir, dir))).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
        } catch {
          return null;
        }
      },
      reportDiagnostic: (d) => void raw.push(d),
    });
    error = result.error;
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e)); // a compiler crash
  }

  const diagnostics = raw.map((d) => toDiagnostic(d, cwd, sources));
  const wasm = outputs.get(out);
  const failed = error !== null || !(wasm instanceof Uint8Array);
  if (failed && !diagnostics.some((d) => d.category === "error")) {
    diagnostics.push({
      file: "", line: 0, column: 0, code: 0, category: "error",
      message: error?.message ?? "asc produced no module",
    });
  }
  const map = outputs.get(out + ".map");
  const text = outputs.get(out.replace(/\.wasm$/, ".wat"));
  return {
    ok: !failed,
    wasm: failed ? undefined : new Uint8Array(wasm as Uint8Array),
    sourceMap: !failed && wantMap && typeof map === "string" ? map : undefined,
    text: !failed && typeof text === "string" ? text : undefined,
    diagnostics,
    log: stderr,
    durationMs: performance.now() - started,
  };
}

/**
 * Guests import the SDK as "ferrite-wasm/sdk", which asc looks for in node_modules/ferrite-wasm.
 * Every such path is served from this toolkit's own folder: inside this repository (where no
 * node_modules/ferrite-wasm exists) and in user projects alike, so the SDK always matches the
 * asconfig.json and CLI building it. Its dependencies (node_modules/ferrite-wasm/node_modules/...)
 * stay where they are.
 */
function redirect(abs: string, root: string): string {
  const marker = `${path.sep}node_modules${path.sep}ferrite-wasm${path.sep}`;
  const at = abs.lastIndexOf(marker);
  if (at < 0) return abs;
  const rest = abs.slice(at + marker.length);
  return rest.startsWith("node_modules" + path.sep) ? abs : path.join(root, rest);
}

/** The shared asconfig with source maps switched off in every target. */
function withoutSourceMap(json: string): string {
  const config = JSON.parse(json) as { options?: Record<string, unknown>; targets?: Record<string, Record<string, unknown>> };
  delete config.options?.sourceMap;
  for (const target of Object.values(config.targets ?? {})) delete target.sourceMap;
  return JSON.stringify(config);
}

function toDiagnostic(d: asc.DiagnosticMessage, cwd: string, sources: Map<string, string>): Diagnostic {
  const category = CATEGORY[d.category] ?? "warning";
  const file = d.range?.source.normalizedPath ?? "";
  const text = file ? sourceText(file, cwd, sources) : undefined;
  const { line, column } = text !== undefined && d.range ? position(text, d.range.start) : { line: 0, column: 0 };
  return { file, line, column, message: d.message, category, code: d.code };
}

/** Text of a source by its compiler path: a user file, a package file or the standard library. */
function sourceText(file: string, cwd: string, sources: Map<string, string>): string | undefined {
  if (!file.startsWith("~lib/")) return sources.get(path.resolve(cwd, file));
  const lib = file.slice(5);
  const std = asc.libraryFiles[lib.replace(/\.ts$/, "")];
  if (std !== undefined) return std;
  const suffix = `${path.sep}node_modules${path.sep}${lib.split("/").join(path.sep)}`;
  for (const [abs, text] of sources) if (abs.endsWith(suffix)) return text;
  return undefined;
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
