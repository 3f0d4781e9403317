// Prepared modules on disk, so a new process (the CLI, a test run) loads a module it has seen
// before without binaryen. An entry is keyed by the module's sha256, the toolkit's version and the
// instrumentation's version (INSTRUMENTATION_VERSION and the runtime code's hash). An entry decides
// whether metering runs, so one is used only when it is a regular file owned by this user that no
// one else may write, whole, and made for exactly this key; anything else is ignored and rebuilt.
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import envPaths from "env-paths";
import findCacheDirectory from "find-cache-dir";
import type { ModuleInfo } from "../abi/validate.js";
import type { InstrumentReport } from "../instrument/index.js";
import { runtimeCodeHash, toolkitVersion } from "./location.js";

/** Bump when what instrumentation produces changes (the code hash also catches any edit). */
export const INSTRUMENTATION_VERSION = 1;

export interface CacheEntry {
  info: ModuleInfo;
  report: InstrumentReport;
  instrumented: Uint8Array;
}

const MAGIC = Buffer.from("ferrite-wasm prepared module\n");
const FORMAT = 1;
/** Past this many entries, the least recently written are removed. */
const MAX_ENTRIES = 512;
const MAX_ENTRY_BYTES = 512 * 1024 * 1024;

interface Header {
  format: number;
  key: { module: string; toolkit: string; instrumentation: string };
  info: ModuleInfo;
  report: InstrumentReport;
  payload: { size: number; sha256: string };
}

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

export class DiskCache {
  #version: string | null = null;

  constructor(readonly dir: string) {}

  /**
   * The usual place: $FERRITE_WASM_CACHE_DIR; else node_modules/.cache/ferrite-wasm of the project
   * around `cwd` (as babel, eslint and others do); else the user's cache folder (~/.cache/ferrite-wasm).
   */
  static locate(cwd: string = process.cwd()): DiskCache {
    const env = process.env.FERRITE_WASM_CACHE_DIR;
    if (env) return new DiskCache(path.resolve(env));
    return new DiskCache(findCacheDirectory({ name: "ferrite-wasm", cwd }) ?? envPaths("ferrite-wasm", { suffix: "" }).cache);
  }

  /** toolkit version and instrumentation version, as stored in each entry. */
  get #versions(): { toolkit: string; instrumentation: string } {
    this.#version ??= `${INSTRUMENTATION_VERSION}.${runtimeCodeHash().slice(0, 16)}`;
    return { toolkit: toolkitVersion(), instrumentation: this.#version };
  }

  /** Where the entry of a module (by sha256) is. */
  fileFor(module: string): string {
    const v = this.#versions;
    return path.join(this.dir, `${module}.${sha256(`${v.toolkit}\n${v.instrumentation}`).slice(0, 16)}.prepared`);
  }

  /** The entry for a module's sha256, or null when there is none this process may trust. */
  async get(module: string): Promise<CacheEntry | null> {
    let handle;
    try {
      handle = await open(this.fileFor(module), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch {
      return null;
    }
    try {
      const s = await handle.stat();
      if (!s.isFile() || s.size > MAX_ENTRY_BYTES || !ownedAndPrivate(s)) return null;
      const data = await handle.readFile();
      if (data.byteLength < MAGIC.byteLength + 4 || !data.subarray(0, MAGIC.byteLength).equals(MAGIC)) return null;
      const headerLength = data.readUInt32LE(MAGIC.byteLength);
      const headerEnd = MAGIC.byteLength + 4 + headerLength;
      if (headerEnd > data.byteLength) return null;
      const header = JSON.parse(data.subarray(MAGIC.byteLength + 4, headerEnd).toString("utf8")) as Header;
      const want = { module, ...this.#versions };
      const key = header?.key;
      if (header?.format !== FORMAT || key?.module !== want.module || key.toolkit !== want.toolkit || key.instrumentation !== want.instrumentation) return null;
      const payload = data.subarray(headerEnd);
      if (payload.byteLength !== header.payload?.size || sha256(payload) !== header.payload.sha256) return null;
      if (typeof header.info !== "object" || typeof header.report !== "object" || header.info === null || header.report === null) return null;
      return { info: header.info, report: header.report, instrumented: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) };
    } catch {
      return null; // unreadable or corrupt: prepared again and rewritten
    } finally {
      await handle.close().catch(() => {});
    }
  }

  /** Stores an entry; a cache that cannot be written is no error (the next process prepares again). */
  async put(module: string, entry: CacheEntry): Promise<void> {
    const header: Header = {
      format: FORMAT,
      key: { module, ...this.#versions },
      info: entry.info,
      report: entry.report,
      payload: { size: entry.instrumented.byteLength, sha256: sha256(entry.instrumented) },
    };
    const json = Buffer.from(JSON.stringify(header), "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.byteLength);
    const file = this.fileFor(module);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFile(tmp, Buffer.concat([MAGIC, length, json, entry.instrumented]), { mode: 0o600, flag: "wx" });
      await rename(tmp, file);
      await this.#trim();
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }

  async #trim(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(".prepared"));
    if (names.length <= MAX_ENTRIES) return;
    const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(this.dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => a.t - b.t);
    for (const { n } of dated.slice(0, names.length - (MAX_ENTRIES * 3) / 4)) await rm(path.join(this.dir, n), { force: true });
  }
}

/** Owned by this user and writable by no one else (where the platform has owners). */
function ownedAndPrivate(s: { uid: number; mode: number }): boolean {
  if (typeof process.getuid !== "function") return true;
  return s.uid === process.getuid() && (s.mode & 0o022) === 0;
}
