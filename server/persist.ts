// The data directory: loaded functions survive a restart. Layout:
//   functions.json            manifest: name, source path, settings, sha256, kept versions, in load order
//   modules/<sha256>.wasm     the exact bytes that were loaded (content-addressed, shared by names)
//   modules/<sha256>.map      its source map, when it had one
//   triggers.json             trigger definitions (TRIGGER.CREATE), in creation order
//   prepared/                 checked and instrumented modules, so a restart skips instrumenting
//                             (the only prepared code the server trusts: it wrote it itself)
// Every file is written to a temporary name, fsynced, then renamed over the old one, so a crash
// leaves either the old or the new version, never half of one.
import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Capability } from "../runtime-sim/index.js";
import type { TriggerDef } from "./triggers.js";
import type { StoredModule, VersionRecord } from "./versions.js";

export const MANIFEST = "functions.json";
export const TRIGGERS = "triggers.json";
const VERSION = 1;

export interface PersistedFunction {
  name: string;
  /** The file it was loaded from (absolute), or null for WASM.LOADB. */
  path: string | null;
  sha256: string;
  capabilities: Capability[];
  memory_limit_bytes: number;
  timeout_ms: number;
  /** KEYS patterns; absent in manifests written before KEYS existed (every key). */
  keys?: string[];
  source_map: boolean;
  /** The active version and the kept ones (absent in manifests written before versions existed). */
  version?: number;
  versions?: VersionRecord[];
}

export interface RestoredFunction extends PersistedFunction {
  bytes: Uint8Array;
  sourceMap?: string;
  /** The kept versions' modules that could be read, by sha256. */
  modules: Map<string, StoredModule>;
}

export class DataDir {
  readonly #modules: string;
  #tmp = 0;

  private constructor(readonly dir: string) {
    this.#modules = path.join(dir, "modules");
  }

  /** Creates the directory when missing; fails with the path and the fix when it cannot. */
  static async open(dir: string): Promise<DataDir> {
    const resolved = path.resolve(dir);
    try {
      await mkdir(path.join(resolved, "modules"), { recursive: true });
    } catch (e) {
      throw new Error(`cannot use data_dir ${resolved}: ${(e as Error).message}; create it and make it writable, or unset [server] data_dir`);
    }
    return new DataDir(resolved);
  }

  /** Where the runtime keeps prepared modules (runtime option `cache`). */
  static preparedDir(dir: string): string {
    return path.join(path.resolve(dir), "prepared");
  }

  /** The saved functions, in load order. A missing manifest is an empty directory. */
  async read(): Promise<{ restored: RestoredFunction[]; problems: string[] }> {
    const file = path.join(this.dir, MANIFEST);
    let raw: string;
    try {
      raw = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { restored: [], problems: [] };
      throw e;
    }
    let manifest: { version: number; functions: PersistedFunction[] };
    try {
      manifest = JSON.parse(raw);
      if (manifest.version !== VERSION || !Array.isArray(manifest.functions)) throw new Error(`unsupported manifest version ${manifest.version}`);
    } catch (e) {
      // Refuse to start rather than overwrite the user's functions with an empty list.
      throw new Error(`${file} is unreadable (${(e as Error).message}); move it away to start with no functions`);
    }
    const restored: RestoredFunction[] = [];
    const problems: string[] = [];
    for (const f of manifest.functions) {
      try {
        const bytes = new Uint8Array(await readFile(this.#module(f.sha256, "wasm")));
        if (sha256(bytes) !== f.sha256) throw new Error("its module file does not match its checksum");
        const sourceMap = f.source_map ? await readFile(this.#module(f.sha256, "map"), "utf8").catch(() => undefined) : undefined;
        const modules = new Map<string, StoredModule>([[f.sha256, { bytes, sourceMap }]]);
        for (const v of f.versions ?? []) {
          if (modules.has(v.sha256)) continue;
          const m = await this.#readVersion(v);
          if (m) modules.set(v.sha256, m);
          else problems.push(`version ${v.version} of function '${f.name}' was dropped: its module file is missing or damaged`);
        }
        restored.push({ ...f, bytes, sourceMap, modules });
      } catch (e) {
        problems.push(`function '${f.name}' was not restored: ${(e as Error).message}`);
      }
    }
    return { restored, problems };
  }

  /** Saved trigger definitions; none when the file is missing. */
  async readTriggers(): Promise<TriggerDef[]> {
    const file = path.join(this.dir, TRIGGERS);
    let raw: string;
    try {
      raw = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    try {
      const parsed = JSON.parse(raw) as { version: number; triggers: TriggerDef[] };
      if (parsed.version !== VERSION || !Array.isArray(parsed.triggers)) throw new Error(`unsupported version ${parsed.version}`);
      return parsed.triggers;
    } catch (e) {
      throw new Error(`${file} is unreadable (${(e as Error).message}); move it away to start with no triggers`);
    }
  }

  writeTriggers(triggers: TriggerDef[]): Promise<void> {
    return this.#writeAtomic(path.join(this.dir, TRIGGERS), JSON.stringify({ version: VERSION, triggers }, null, 2) + "\n");
  }

  async #readVersion(v: VersionRecord): Promise<StoredModule | null> {
    try {
      const bytes = new Uint8Array(await readFile(this.#module(v.sha256, "wasm")));
      if (sha256(bytes) !== v.sha256) return null;
      const sourceMap = v.source_map ? await readFile(this.#module(v.sha256, "map"), "utf8").catch(() => undefined) : undefined;
      return { bytes, sourceMap };
    } catch {
      return null;
    }
  }

  /** Stores a module's bytes (and map) under its hash; a no-op when already there. */
  async saveModule(hash: string, bytes: Uint8Array, sourceMap?: string): Promise<void> {
    const wasm = this.#module(hash, "wasm");
    const have = await readFile(wasm).then((b) => sha256(b) === hash, () => false);
    if (!have) await this.#writeAtomic(wasm, bytes);
    if (sourceMap !== undefined) await this.#writeAtomic(this.#module(hash, "map"), sourceMap);
  }

  /** Replaces the manifest, then removes modules no function (or kept version) uses any more. */
  async writeManifest(functions: PersistedFunction[]): Promise<void> {
    const body = JSON.stringify({ version: VERSION, functions }, null, 2) + "\n";
    await this.#writeAtomic(path.join(this.dir, MANIFEST), body);
    const used = new Set(functions.flatMap((f) => [f.sha256, ...(f.versions ?? []).map((v) => v.sha256)]));
    for (const name of await readdir(this.#modules)) {
      const hash = name.replace(/\.(wasm|map)$/, "");
      if (!used.has(hash) && !name.includes(".tmp")) await rm(path.join(this.#modules, name), { force: true });
    }
  }

  #module(hash: string, ext: "wasm" | "map"): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`bad module hash '${hash}'`);
    return path.join(this.#modules, `${hash}.${ext}`);
  }

  async #writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
    const tmp = `${file}.${process.pid}.${++this.#tmp}.tmp`;
    const fh = await open(tmp, "w", 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    // The rename itself must reach the disk too.
    const dir = await open(path.dirname(file), "r").catch(() => null);
    if (dir) await dir.sync().catch(() => {}).finally(() => dir.close());
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
