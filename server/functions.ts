// The server's view of the function registry: the runtime plus where each function came from, and
// the data directory that keeps them across restarts. Management commands (LOAD, UPDATE, RELOAD,
// UNLOAD, ROLLBACK) run one at a time, so two loads of one name cannot interleave and the manifest is written
// in order. Calls do not wait for this queue: they go straight to the runtime.
import { FerriteError, type FunctionInfo, type FunctionSettings, type LoadOptions, type Runtime } from "../runtime-sim/index.js";
import { errors } from "../runtime-sim/host.js";
import type { Logger } from "./context.js";
import type { DataDir, PersistedFunction, RestoredFunction } from "./persist.js";
import { Versions, type DeployKind, type VersionRecord } from "./versions.js";

export class Functions {
  readonly versions = new Versions();
  /** Sees every deploy's outcome: its kind and null, or the error's code (metrics). */
  onDeploy: ((kind: DeployKind | "rollback", code: string | null) => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly runtime: Runtime,
    readonly dataDir: DataDir | null,
    readonly log: Logger,
  ) {}

  /** Resolves when no management command is running (shutdown waits for pending saves). */
  idle(): Promise<void> {
    return this.#queue.then(() => {});
  }

  #exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Reports a deploy's outcome to onDeploy. */
  #deploy<T>(kind: DeployKind | "rollback", run: Promise<T>): Promise<T> {
    return run.then(
      (v) => {
        this.onDeploy?.(kind, null);
        return v;
      },
      (e) => {
        this.onDeploy?.(kind, typeof e?.code === "string" ? e.code : "ERR");
        throw e;
      },
    );
  }

  /** WASM.LOAD: the runtime reads the file, confined to plugins_dir. */
  loadFile(name: string, file: string, options: LoadOptions): Promise<FunctionInfo> {
    return this.#deploy("load", this.#exclusive(() => this.#loadAndKeep("load", name, () => this.runtime.loadFile(name, file, options))));
  }

  /** WASM.LOADB. */
  loadBytes(name: string, bytes: Uint8Array, options: LoadOptions): Promise<FunctionInfo> {
    return this.#deploy("loadb", this.#exclusive(() => this.#loadAndKeep("loadb", name, () => this.runtime.load(name, bytes, { ...options, path: undefined, sourceMap: undefined }))));
  }

  /** Runs a load, then records it as a version and saves it. */
  async #loadAndKeep(kind: DeployKind, name: string, load: () => Promise<FunctionInfo>): Promise<FunctionInfo> {
    // A load without REPLACE of a name that is not loaded starts a new history.
    if (!this.runtime.has(name)) this.versions.forget(name);
    const info = await load();
    const { bytes, sourceMap, path } = this.runtime.source(name);
    this.versions.record(
      name,
      {
        sha256: info.sha256,
        deployed_at: new Date().toISOString(),
        size_bytes: info.size_bytes,
        capabilities: info.capabilities,
        memory_limit_bytes: info.memory_limit_bytes,
        timeout_ms: info.timeout_ms,
        keys: info.keys,
        source: kind,
        path,
        source_map: sourceMap !== undefined,
      },
      { bytes, sourceMap },
    );
    await this.#persist(async (d) => d.saveModule(info.sha256, bytes, sourceMap));
    return this.info(name);
  }

  /** WASM.ROLLBACK: loads a kept version's bytes and settings again; the swap is atomic for calls. */
  rollback(name: string, target?: number): Promise<VersionRecord> {
    return this.#deploy("rollback", this.#exclusive(async () => {
      if (!this.runtime.has(name)) throw errors.unknownFunction(name);
      const { version, module } = this.versions.target(name, target);
      await this.runtime.load(name, module.bytes, {
        capabilities: version.capabilities,
        memory: version.memory_limit_bytes,
        timeoutMs: version.timeout_ms,
        keys: version.keys ?? ["*"],
        replace: true,
        sourceMap: module.sourceMap,
        path: version.path ?? undefined,
      });
      this.versions.activate(name, version.version);
      await this.#persist();
      return version;
    }));
  }

  /** WASM.UPDATE. */
  update(name: string, settings: FunctionSettings): Promise<FunctionInfo> {
    return this.#exclusive(async () => {
      const info = await this.runtime.update(name, settings);
      this.versions.updateSettings(name, { capabilities: info.capabilities, memory_limit_bytes: info.memory_limit_bytes, timeout_ms: info.timeout_ms, keys: info.keys });
      await this.#persist();
      return this.info(name);
    });
  }

  /** WASM.RELOAD: the runtime reads the file again (still confined to plugins_dir), keeping the settings. */
  reload(name: string): Promise<FunctionInfo> {
    return this.#deploy("reload", this.#exclusive(() => this.#loadAndKeep("reload", name, () => this.runtime.reload(name))));
  }

  /** WASM.UNLOAD. */
  unload(name: string): Promise<void> {
    return this.#exclusive(async () => {
      this.runtime.unload(name);
      this.versions.forget(name);
      await this.#persist();
    });
  }

  /** WASM.INFO, with the active version. */
  info(name: string): FunctionInfo & { version?: number; versions?: number } {
    const info = this.runtime.info(name);
    const active = this.versions.active(name);
    const count = active ? this.versions.list(name).length : undefined;
    return { ...info, ...(active ? { version: active.version, versions: count } : {}) };
  }

  /** Loads what the data directory holds; problems are logged, not fatal. */
  async restore(): Promise<number> {
    if (!this.dataDir) return 0;
    const { restored, problems } = await this.dataDir.read();
    for (const p of problems) this.log("warn", p);
    let n = 0;
    for (const f of restored) {
      try {
        await this.runtime.load(f.name, f.bytes, {
          capabilities: f.capabilities,
          memory: f.memory_limit_bytes,
          timeoutMs: f.timeout_ms,
          keys: f.keys ?? ["*"],
          replace: true,
          sourceMap: f.sourceMap,
          path: f.path ?? undefined,
        });
        this.#restoreVersions(f);
        n++;
      } catch (e) {
        this.log("warn", `function '${f.name}' was not restored: ${(e as Error).message}`);
      }
    }
    if (problems.length > 0 || n !== restored.length) await this.#persist();
    return n;
  }

  /** Older manifests have no history: the restored module becomes version 1. */
  #restoreVersions(f: RestoredFunction): void {
    const info = this.runtime.info(f.name);
    const versions: VersionRecord[] = f.versions?.length
      ? f.versions
      : [{ version: 1, sha256: f.sha256, deployed_at: info.loaded_at, size_bytes: info.size_bytes, capabilities: f.capabilities, memory_limit_bytes: f.memory_limit_bytes, timeout_ms: f.timeout_ms, source: f.path ? "load" : "loadb", path: f.path, source_map: f.source_map }];
    this.versions.restore(f.name, versions, f.version ?? versions.at(-1)!.version, f.modules);
  }

  /** Saves what `before` needs, then the manifest. A failure says the function is loaded but not kept. */
  async #persist(before?: (d: DataDir) => Promise<void>): Promise<void> {
    const dir = this.dataDir;
    if (!dir) return;
    try {
      if (before) await before(dir);
      await dir.writeManifest(this.#manifest());
    } catch (e) {
      const message = `the change was applied but could not be saved to data_dir ${dir.dir} (${(e as Error).message}); it will be lost on restart unless the directory becomes writable`;
      this.log("error", message);
      throw new FerriteError("ERR_PERSIST", message);
    }
  }

  #manifest(): PersistedFunction[] {
    return this.runtime.list().map((name) => {
      const info = this.runtime.info(name);
      const source = this.runtime.source(name);
      const history = this.versions.snapshot(name);
      return {
        name,
        path: source.path,
        sha256: info.sha256,
        capabilities: info.capabilities,
        memory_limit_bytes: info.memory_limit_bytes,
        timeout_ms: info.timeout_ms,
        keys: info.keys,
        source_map: source.sourceMap !== undefined,
        ...(history ? { version: history.active, versions: history.versions } : {}),
      };
    });
  }
}
