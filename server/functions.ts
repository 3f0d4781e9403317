// The server's view of the function registry: the runtime plus where each function came from, and
// the data directory that keeps them across restarts. Management commands (LOAD, UPDATE, RELOAD,
// UNLOAD, ROLLBACK) run one at a time, so two loads of one name cannot interleave and the manifest is written
// in order. Calls do not wait for this queue: they go straight to the runtime. Over a Redis store
// the registry lives in the store instead of data_dir (share(), store/registry.ts): every change is
// written there, and changes made by other servers are loaded here (reconcile()).
import { FerriteError, type FunctionInfo, type FunctionSettings, type LoadOptions, type Runtime } from "../runtime-sim/index.js";
import { errors } from "../runtime-sim/host.js";
import type { Logger } from "./context.js";
import type { DataDir, PersistedFunction, RestoredFunction } from "./persist.js";
import type { SharedRegistry, StoredFunction } from "./store/registry.js";
import { Versions, type DeployKind, type VersionRecord } from "./versions.js";

export class Functions {
  readonly versions = new Versions();
  /** Sees every deploy's outcome: its kind and null, or the error's code (metrics). */
  onDeploy: ((kind: DeployKind | "rollback", code: string | null) => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #shared: SharedRegistry | null = null;
  /** The store's rev of each function as loaded here (shared registry). */
  readonly #revs = new Map<string, string>();

  constructor(
    readonly runtime: Runtime,
    readonly dataDir: DataDir | null,
    readonly log: Logger,
  ) {}

  /** Resolves when no management command is running (shutdown waits for pending saves). */
  idle(): Promise<void> {
    return this.#queue.then(() => {});
  }

  #exclusive<T>(op: () => Promise<T>): Promise<T> {
    // Shared registry: first catch up with what other servers changed, so the change is made on
    // the current version (a race that still happens is caught by the rev check in #publish).
    const f = this.#shared === null ? op : async () => (await this.#catchUp(), op());
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
    await this.#persist(name, async (d) => d.saveModule(info.sha256, bytes, sourceMap));
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
      await this.#persist(name);
      return version;
    }));
  }

  /** WASM.UPDATE. */
  update(name: string, settings: FunctionSettings): Promise<FunctionInfo> {
    return this.#exclusive(async () => {
      const info = await this.runtime.update(name, settings);
      this.versions.updateSettings(name, { capabilities: info.capabilities, memory_limit_bytes: info.memory_limit_bytes, timeout_ms: info.timeout_ms, keys: info.keys });
      await this.#persist(name);
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
      await this.#persist(name);
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
    if (problems.length > 0 || n !== restored.length) await this.#persist(null);
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
  async #persist(name: string | null, before?: (d: DataDir) => Promise<void>): Promise<void> {
    if (this.#shared !== null && name !== null) return this.#publish(this.#shared, name);
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
    return this.runtime.list().map((name) => this.#record(name));
  }

  #record(name: string): PersistedFunction & { entry: string } {
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
      entry: info.entry,
    };
  }

  /** Over a Redis store: loads every function the store holds, then follows changes. */
  async share(registry: SharedRegistry): Promise<number> {
    this.#shared = registry;
    await this.#exclusive(() => this.#reconcile());
    return this.runtime.list().length;
  }

  /**
   * Loads what other servers changed (a notice, a reconnect, the epoch moved). True when the store
   * had lost the registry (restarted without persistence) and this server wrote its functions back.
   */
  reconcile(): Promise<boolean> {
    return this.#exclusive(() => this.#reconcile());
  }

  /** A call for a function this server lacks: one look at the store first (a deploy elsewhere just now). */
  catchUp(): Promise<void> {
    return this.#shared === null ? Promise.resolve() : this.#exclusive(async () => {});
  }

  async #catchUp(): Promise<void> {
    const registry = this.#shared!;
    if ((await registry.epoch()) !== registry.seen) await this.#reconcile();
    return;
  }

  async #reconcile(): Promise<boolean> {
    const registry = this.#shared!;
    let epoch = await registry.epoch();
    // The epoch only grows: lower than what this server saw means the store lost its data (a restart
    // without persistence, a failover to a stale replica). Put back what this server runs rather
    // than unloading it; a function another server also writes back first is taken from there.
    const restored = epoch < registry.seen && this.runtime.list().length > 0;
    if (restored) {
      this.log("warn", `the store at ${registry.store.where} lost the function registry (epoch ${epoch} < ${registry.seen}); writing this server's ${this.runtime.list().length} function(s) back`);
      for (const name of this.runtime.list()) {
        const record = this.#record(name);
        const module = this.versions.module(record.sha256);
        const rev = await registry.putFunction(name, "", record, module ? [[record.sha256, module]] : []);
        if (rev !== null) this.#revs.set(name, rev);
      }
      epoch = await registry.epoch();
    }
    const records = await registry.functions();
    const stale = [...records.values()].filter((r) => this.#revs.get(r.name) !== r.rev);
    const hashes = stale.flatMap((r) => [r.sha256, ...(r.versions ?? []).map((v) => v.sha256)]);
    const maps = stale.flatMap((r) => [...(r.source_map ? [r.sha256] : []), ...(r.versions ?? []).filter((v) => v.source_map).map((v) => v.sha256)]);
    const modules = await registry.modules(hashes, maps);
    for (const r of stale) await this.#adopt(r, modules);
    for (const name of this.runtime.list()) {
      if (records.has(name)) continue;
      this.runtime.unload(name);
      this.versions.forget(name);
      this.#revs.delete(name);
      this.log("info", `function '${name}' was unloaded on another server`);
    }
    registry.seen = epoch;
    return restored;
  }

  /** Loads one function as the store has it; the module's content hash was checked on the way. */
  async #adopt(r: StoredFunction, modules: Map<string, { bytes: Uint8Array; sourceMap?: string }>): Promise<void> {
    const m = modules.get(r.sha256);
    if (!m) {
      this.log("warn", `function '${r.name}' was not loaded: its module ${r.sha256.slice(0, 12)} is missing from the store or damaged; deploy it again`);
      return;
    }
    try {
      await this.runtime.load(r.name, m.bytes, {
        capabilities: r.capabilities,
        memory: r.memory_limit_bytes,
        timeoutMs: r.timeout_ms,
        keys: r.keys ?? ["*"],
        replace: true,
        sourceMap: m.sourceMap,
        entry: r.entry,
        path: r.path ?? undefined,
      });
    } catch (e) {
      this.log("warn", `function '${r.name}' from the store was not loaded here: ${(e as Error).message}`);
      return;
    }
    const versions = r.versions?.length ? r.versions : [{ version: 1, sha256: r.sha256, deployed_at: new Date().toISOString(), size_bytes: m.bytes.byteLength, capabilities: r.capabilities, memory_limit_bytes: r.memory_limit_bytes, timeout_ms: r.timeout_ms, source: r.path ? ("load" as const) : ("loadb" as const), path: r.path, source_map: r.source_map }];
    const kept = new Map([...modules].filter(([hash]) => versions.some((v) => v.sha256 === hash)));
    this.versions.restore(r.name, versions, r.version ?? versions.at(-1)!.version, kept);
    this.#revs.set(r.name, r.rev);
  }

  /** Writes one function's change to the shared registry (or its removal). */
  async #publish(registry: SharedRegistry, name: string): Promise<void> {
    const record = this.runtime.has(name) ? this.#record(name) : null;
    const module = record ? this.versions.module(record.sha256) : undefined;
    let rev: string | null;
    try {
      rev = await registry.putFunction(name, this.#revs.get(name) ?? "", record, module ? [[record!.sha256, module]] : []);
    } catch (e) {
      registry.seen = -1; // load the store's version back at the next look
      const message = `the change to '${name}' could not be saved to the store (${(e as Error).message}); the store keeps the previous version, which this server goes back to once the store answers`;
      this.log("error", message);
      throw new FerriteError("ERR_STORE", message, name);
    }
    if (rev === null) {
      await this.#reconcile();
      throw new FerriteError("ERR_CONTENTION", `function '${name}' was changed on another server at the same moment; this server now runs that version: run the command again`, name);
    }
    if (record) this.#revs.set(name, rev);
    else this.#revs.delete(name);
  }

}
