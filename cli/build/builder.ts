// Builds a project's functions: compile with the function's language (languages.ts), write
// build/<name>.wasm and its source map, stamp what it was built from, and check the module against
// ABI v1 and the manifest's grants. Used by `build`, and by `test` and `call` to rebuild what is stale.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatDiagnostic, type Diagnostic } from "./diagnostics.js";
import { languageOf, LANGUAGES, type LanguageBuilder } from "./languages.js";
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
  const mapPath = `${fn.wasmPath}.map`;
  const base = { name: fn.name, source: fn.source, wasmPath: fn.wasmPath, mapPath };
  const failed = (message: string): FunctionBuild => {
    const diagnostic: Diagnostic = { file: "", line: 0, column: 0, category: "error", code: 0, message };
    return { ...base, ok: false, compiled: false, durationMs: 0, diagnostics: [diagnostic], report: null };
  };
  const language = languageOf(fn);
  if (!language) {
    return failed(`no language builds ${fn.source}; functions.${fn.name}.source in ${path.basename(manifest.path)} must name a source of ${LANGUAGES.map((l) => l.name).join(", ")} (e.g. assembly/${fn.name}.ts)`);
  }
  if (!existsSync(fn.sourcePath)) {
    return failed(`${fn.source} does not exist; create it, or correct functions.${fn.name}.source in ${path.basename(manifest.path)}`);
  }
  const builder: LanguageBuilder = await language.load();
  const key = optionsKey(builder.fingerprint(), fn.source, debug, manifest.optimize);
  const stamps = await readStamps(manifest.outDir);

  let wasm: Uint8Array;
  let compiled = false;
  let durationMs = 0;
  let diagnostics: Diagnostic[] = [];
  if (!options.force && (await isFresh(stamps[fn.name], manifest.root, key, fn.wasmPath))) {
    wasm = new Uint8Array(await readFile(fn.wasmPath));
  } else {
    const result = await builder.compile({ fn, manifest, debug });
    diagnostics = result.diagnostics;
    durationMs = result.durationMs;
    if (!result.ok || !result.wasm) {
      return { ...base, ok: false, compiled: true, durationMs, diagnostics, report: null };
    }
    const map = result.sourceMap ?? "";
    wasm = map ? setSourceMappingUrl(result.wasm, `./${path.basename(mapPath)}`) : result.wasm;
    await mkdir(manifest.outDir, { recursive: true });
    await writeFile(fn.wasmPath, wasm);
    if (map) await writeFile(mapPath, map);
    await writeStamp(manifest.outDir, fn.name, { options: key, inputs: await hashInputs(manifest.root, result.inputs), wasm: sha256(wasm) });
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
 * Makes the next compile fast: some compilers (asc) are several times slower on their first build
 * in a process, so `--watch` and `dev` run this when their first build reused every module.
 */
export async function warmUp(manifest: Manifest): Promise<void> {
  const fn = manifest.functions.find((f) => existsSync(f.sourcePath) && languageOf(f));
  if (!fn) return;
  const builder = await languageOf(fn)!.load();
  await builder.warmUp?.({ fn, manifest, debug: false });
}

/** "assembly/validate.ts:3:10 - error TS2304: Cannot find name 'x'." for each diagnostic. */
export function diagnosticLines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map(formatDiagnostic);
}
