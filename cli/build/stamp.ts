// Build stamps: what each module in build/ was compiled from, so `test` and `call` rebuild only
// when a source changed, and `build` can say "up to date". The inputs are the project files the
// compiler read (the language's builder lists them) plus its fingerprint and the options.
import { createHash } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";

export const STAMP_FILE = ".ferrite-build.json";

export interface Stamp {
  /** Hash of the toolkit, the compile options and the entry file name. */
  options: string;
  /** Project files the compiler read (relative to the project root) and their hashes. */
  inputs: Record<string, string>;
  /** Hash of the module written, so a module replaced by hand counts as stale. */
  wasm: string;
}

export type Stamps = Record<string, Stamp>;

export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Everything besides the inputs that decides the module: the language's fingerprint and the options. */
export function optionsKey(fingerprint: string, source: string, debug: boolean, optimize: string): string {
  return sha256(JSON.stringify([fingerprint, source, debug, optimize]));
}

export async function readStamps(outDir: string): Promise<Stamps> {
  try {
    return JSON.parse(await readFile(path.join(outDir, STAMP_FILE), "utf8")) as Stamps;
  } catch {
    return {};
  }
}

export async function writeStamp(outDir: string, name: string, stamp: Stamp): Promise<void> {
  const stamps = await readStamps(outDir);
  stamps[name] = stamp;
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, STAMP_FILE), JSON.stringify(stamps, null, 2) + "\n");
}

/** Hashes project files (relative to root); a missing one hashes as empty. */
export async function hashInputs(root: string, sources: readonly string[]): Promise<Record<string, string>> {
  const inputs: Record<string, string> = {};
  for (const source of sources) {
    inputs[source] = sha256(await readFile(path.resolve(root, source)).catch(() => new Uint8Array()));
  }
  return inputs;
}

/** True when the module on disk was built from exactly these inputs and options. */
export async function isFresh(stamp: Stamp | undefined, root: string, options: string, wasmPath: string): Promise<boolean> {
  if (!stamp || stamp.options !== options) return false;
  const wasm = await readFile(wasmPath).catch(() => null);
  if (!wasm || sha256(wasm) !== stamp.wasm) return false;
  const now = await hashInputs(root, Object.keys(stamp.inputs));
  return Object.entries(stamp.inputs).every(([file, hash]) => now[file] === hash);
}
