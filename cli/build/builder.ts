// Builds a project's functions: compile with asc in-process, write build/<name>.wasm and its
// source map, stamp what it was built from, and check the module against ABI v1 and the
// manifest's grants. Used by `build`, and by `test` and `call` to rebuild what is stale.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { compile, formatDiagnostic, type Diagnostic } from "./asc.js";
import type { FunctionSpec, Manifest } from "../project/manifest.js";
import { analyzeModule, type AbiReport } from "./report.js";
import { hashInputs, isFresh, optionsKey, readStamps, sha256, writeStamp } from "./stamp.js";
import { setSourceMappingUrl } from "./wasm-sections.js";

export interface BuildOptions {
  /** asconfig's debug target: no optimization, names kept. */
  debug?: boolean;
  /** Compile even when the module is up to date. */
  force?: boolean;
}

export interface FunctionBuild {
  name: string;
  source: string;
  /** Compiled and passed the ABI checks (warnings allowed). */
  ok: boolean;
  /** False when the module on disk was up to date and reused. */
  compiled: boolean;
  /** Compile time in ms (0 when reused). */
  durationMs: number;
  wasmPath: string;
  mapPath: string;
  diagnostics: Diagnostic[];
  /** null when compilation failed. */
  report: AbiReport | null;
}

/** Builds one function (or reuses its module when nothing changed) and reports on it. */
export async function buildFunction(manifest: Manifest, fn: FunctionSpec, options: BuildOptions = {}): Promise<FunctionBuild> {
  const debug = options.debug === true;
  const key = optionsKey(fn.source, debug, manifest.optimize);
  const mapPath = `${fn.wasmPath}.map`;
  const base = { name: fn.name, source: fn.source, wasmPath: fn.wasmPath, mapPath };
  if (!existsSync(fn.sourcePath)) {
    const message = `${fn.source} does not exist; create it, or correct functions.${fn.name}.source in ${path.basename(manifest.path)}`;
    const diagnostic: Diagnostic = { file: "", line: 0, column: 0, category: "error", code: 0, message };
    return { ...base, ok: false, compiled: false, durationMs: 0, diagnostics: [diagnostic], report: null };
  }
  const stamps = await readStamps(manifest.outDir);

  let wasm: Uint8Array;
  let compiled = false;
  let durationMs = 0;
  let diagnostics: Diagnostic[] = [];
  if (!options.force && (await isFresh(stamps[fn.name], manifest.root, key, fn.wasmPath))) {
    wasm = new Uint8Array(await readFile(fn.wasmPath));
  } else {
    const result = await compile({
      entry: fn.sourcePath,
      cwd: manifest.root,
      debug,
      optimize: debug ? undefined : manifest.optimize,
      sourceMap: true,
    });
    diagnostics = result.diagnostics;
    durationMs = result.durationMs;
    if (!result.ok || !result.wasm) {
      return { ...base, ok: false, compiled: true, durationMs, diagnostics, report: null };
    }
    wasm = setSourceMappingUrl(result.wasm, `./${path.basename(mapPath)}`);
    await mkdir(manifest.outDir, { recursive: true });
    await writeFile(fn.wasmPath, wasm);
    const map = result.sourceMap ?? "";
    if (map) await writeFile(mapPath, map);
    const sources = map ? (JSON.parse(map) as { sources: string[] }).sources : [fn.source];
    await writeStamp(manifest.outDir, fn.name, { options: key, inputs: await hashInputs(manifest.root, sources), wasm: sha256(wasm) });
    compiled = true;
  }

  const report = await analyzeModule(wasm, {
    name: fn.name,
    entry: fn.entry,
    capabilities: fn.capabilities,
    grantSource: `functions.${fn.name}.capabilities in ${path.basename(manifest.path)}`,
    memory: fn.memory,
    timeoutMs: fn.timeoutMs,
    entryHint: `set entry = "<export>" under [functions.${fn.name}] in ${path.basename(manifest.path)}`,
  });
  return { ...base, ok: report.ok, compiled, durationMs, diagnostics, report };
}

/** Builds the given functions one after another (the compiler runs one build at a time anyway). */
export async function buildFunctions(
  manifest: Manifest,
  fns: readonly FunctionSpec[],
  options: BuildOptions & { onStart?: (fn: FunctionSpec) => void } = {},
): Promise<FunctionBuild[]> {
  const results: FunctionBuild[] = [];
  for (const fn of fns) {
    options.onStart?.(fn);
    results.push(await buildFunction(manifest, fn, options));
  }
  return results;
}

/**
 * Compiles the first function and throws the result away. The compiler is several times slower
 * on its first build in a process (its WebAssembly is not optimized yet), so `--watch` runs this
 * when its first build reused every module: the first edit then rebuilds at warm speed.
 */
export async function warmUp(manifest: Manifest): Promise<void> {
  const fn = manifest.functions.find((f) => existsSync(f.sourcePath));
  if (fn) await compile({ entry: fn.sourcePath, cwd: manifest.root, optimize: manifest.optimize, sourceMap: false });
}

/** "assembly/validate.ts:3:10 - error TS2304: Cannot find name 'x'." for each diagnostic. */
export function diagnosticLines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map(formatDiagnostic);
}
