// Builds AssemblyScript fixtures for tests, once: asc costs about a second per module, so each
// result is cached on disk (node_modules/.cache/ferrite-wasm/asc/) under the sha256 of everything
// that shapes it: the fixture, the SDK, asconfig.json, the compile wrapper, compiler versions.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../../cli/build/asc.js";
import { formatDiagnostic } from "../../cli/build/diagnostics.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO, "test/fixtures");
const CACHE = path.join(REPO, "node_modules/.cache/ferrite-wasm/asc");

/** Each fixture in test/fixtures and the entries it exports (the comment atop each file says more). */
export const FIXTURE_ENTRIES: Readonly<Record<string, readonly string[]>> = {
  echo: ["echo"],
  validate: ["validate"],
  keys: ["keyOps"],
  args: ["argList"],
  utf8: ["utf8"],
  log: ["logLevels"],
  timeRandom: ["timeRandom"],
  counter: ["counter"],
  loop: ["loop"],
  recurse: ["recurse"],
  membomb: ["membomb"],
  abort: ["aborts"],
  trap: ["trap"],
  "writer-fails": ["writerFails"],
  oob: ["oob"],
  http: ["httpCall"],
  status: ["status"],
  aliases: ["aliases"],
  "two-entries": ["first", "second"],
  share: ["share"],
};

export interface BuildOptions {
  /** The asconfig "debug" target instead of "release". */
  debug?: boolean;
  /** Also return the text format. */
  text?: boolean;
}

export interface BuiltModule {
  /** The file compiled, relative to the repository. */
  file: string;
  wasm: Uint8Array<ArrayBuffer>;
  /** Source map JSON text (always built, so traps can name the AssemblyScript line). */
  sourceMap: string;
  text?: string;
  /** True when this came from the disk cache. */
  cached: boolean;
}

interface CacheMeta {
  sourceMap: string;
  text?: string;
}

const memo = new Map<string, Promise<BuiltModule>>();

/** Builds test/fixtures/<name>.ts (e.g. "echo", "writer-fails"). */
export function buildFixture(name: string, options: BuildOptions = {}): Promise<BuiltModule> {
  return buildFile(path.join(FIXTURES, `${name}.ts`), options);
}

/** Builds any AssemblyScript entry file in this repository. Throws with the diagnostics on failure. */
export function buildFile(file: string, options: BuildOptions = {}): Promise<BuiltModule> {
  const abs = path.resolve(REPO, file);
  const id = JSON.stringify([abs, options.debug ?? false, options.text ?? false]);
  let pending = memo.get(id);
  if (!pending) {
    pending = build(abs, options);
    pending.catch(() => memo.delete(id)); // let a later test retry after a fix
    memo.set(id, pending);
  }
  return pending;
}

async function build(abs: string, options: BuildOptions): Promise<BuiltModule> {
  const file = path.relative(REPO, abs);
  const key = await cacheKey(abs, options);
  const base = path.join(CACHE, key);
  try {
    const [wasm, meta] = await Promise.all([readFile(`${base}.wasm`), readFile(`${base}.json`, "utf8")]);
    const { sourceMap, text } = JSON.parse(meta) as CacheMeta;
    return { file, wasm: new Uint8Array(wasm), sourceMap, text, cached: true };
  } catch {
    // not cached yet
  }
  const result = await compile({ entry: abs, cwd: REPO, debug: options.debug, text: options.text, sourceMap: true });
  if (!result.ok || !result.wasm || result.sourceMap === undefined) {
    const lines = result.diagnostics.map(formatDiagnostic).join("\n");
    throw new Error(`asc could not build ${file}:\n${lines}`);
  }
  const meta: CacheMeta = { sourceMap: result.sourceMap, text: result.text };
  await mkdir(CACHE, { recursive: true });
  await Promise.all([atomicWrite(`${base}.wasm`, result.wasm), atomicWrite(`${base}.json`, JSON.stringify(meta))]);
  return { file, wasm: result.wasm, sourceMap: result.sourceMap, text: result.text, cached: false };
}

/** Write then rename, so parallel test workers never read half a file. */
async function atomicWrite(target: string, data: Uint8Array | string): Promise<void> {
  const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, data);
  await rename(temp, target);
}

async function cacheKey(abs: string, options: BuildOptions): Promise<string> {
  const hash = createHash("sha256");
  const add = (label: string, data: string | Uint8Array) => {
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  add("options", JSON.stringify({ debug: options.debug ?? false, text: options.text ?? false, file: path.relative(REPO, abs) }));
  add("entry", await readFile(abs));
  const sdk = path.join(REPO, "sdk");
  for (const name of (await readdir(sdk)).sort()) add(`sdk/${name}`, await readFile(path.join(sdk, name)));
  for (const rel of [
    "asconfig.json",
    "cli/build/asc.ts",
    "node_modules/assemblyscript/package.json",
    "node_modules/json-as/package.json",
    "node_modules/binaryen/package.json",
  ]) {
    add(rel, await readFile(path.join(REPO, rel)));
  }
  return hash.digest("hex");
}
