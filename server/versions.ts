// Each function's deploy history: every WASM.LOAD/LOADB ... REPLACE and WASM.RELOAD that changes the
// code or settings adds a version; WASM.ROLLBACK moves the active pointer back to a kept one. The
// bytes of every kept version stay in memory (and in data_dir's modules/), so a rollback never
// depends on a file that may have changed since.
import type { Capability } from "../runtime-sim/index.js";
import { errors } from "../runtime-sim/host.js";
import { CommandError } from "./resp.js";

/** How many versions a function keeps; older ones are dropped (never the active one). */
export const KEEP_VERSIONS = 10;

export type DeployKind = "load" | "loadb" | "reload";

/** One deploy, as WASM.VERSIONS shows it and functions.json stores it. */
export interface VersionRecord {
  /** 1, 2, 3 ... per function; never reused, even after older versions are dropped. */
  version: number;
  sha256: string;
  /** ISO time of the deploy. */
  deployed_at: string;
  size_bytes: number;
  capabilities: Capability[];
  memory_limit_bytes: number;
  timeout_ms: number;
  /** KEYS patterns (absent in records written before KEYS existed: every key). */
  keys?: string[];
  /** The command that deployed it. */
  source: DeployKind;
  /** The file it came from, null for WASM.LOADB. */
  path: string | null;
  source_map: boolean;
}

/** What a rollback needs to load a version again. */
export interface StoredModule {
  bytes: Uint8Array;
  sourceMap?: string;
}

interface History {
  versions: VersionRecord[];
  active: number;
}

export class Versions {
  readonly #history = new Map<string, History>();
  /** Kept modules by sha256 (shared by names and versions). */
  readonly #modules = new Map<string, StoredModule>();

  /**
   * Records a deploy and makes it active. A deploy identical to the active version (same bytes and
   * settings) adds nothing, so an unchanged rebuild does not push real versions out.
   */
  record(name: string, deploy: Omit<VersionRecord, "version">, module: StoredModule): VersionRecord {
    this.#modules.set(deploy.sha256, module);
    const h = this.#history.get(name) ?? { versions: [], active: 0 };
    this.#history.set(name, h);
    const current = h.versions.find((v) => v.version === h.active);
    if (current && sameDeploy(current, deploy)) return current;
    const version = { ...deploy, version: (h.versions.at(-1)?.version ?? 0) + 1 };
    h.versions.push(version);
    h.active = version.version;
    while (h.versions.length > KEEP_VERSIONS) h.versions.splice(h.versions[0].version === h.active ? 1 : 0, 1);
    this.#prune();
    return version;
  }

  /** WASM.UPDATE changes the active version's settings in place: the code did not change. */
  updateSettings(name: string, s: Pick<VersionRecord, "capabilities" | "memory_limit_bytes" | "timeout_ms" | "keys">): void {
    const v = this.active(name);
    if (v) Object.assign(v, s);
  }

  /** Restores a history read from data_dir. */
  restore(name: string, versions: VersionRecord[], active: number, modules: Map<string, StoredModule>): void {
    for (const [hash, m] of modules) this.#modules.set(hash, m);
    const kept = versions.filter((v) => this.#modules.has(v.sha256));
    this.#history.set(name, { versions: kept, active });
  }

  /** The version to roll back to, and its module: `target`, or the one before the active version. */
  target(name: string, target?: number): { version: VersionRecord; module: StoredModule } {
    const h = this.#history.get(name);
    if (!h) throw errors.unknownFunction(name);
    let version: VersionRecord | undefined;
    if (target === undefined) {
      version = h.versions.filter((v) => v.version < h.active).at(-1);
      if (!version) throw new CommandError(`ERR function '${name}' has no version before ${h.active} to roll back to; see WASM.VERSIONS ${name}`);
    } else {
      version = h.versions.find((v) => v.version === target);
      if (!version) {
        const kept = h.versions.map((v) => v.version).join(", ");
        throw new CommandError(`ERR function '${name}' has no version ${target} (kept: ${kept})`);
      }
    }
    return { version, module: this.#modules.get(version.sha256)! };
  }

  /** Makes a kept version active (after the runtime has loaded it). */
  activate(name: string, version: number): void {
    const h = this.#history.get(name);
    if (h) h.active = version;
  }

  /** A kept module by its SHA-256 (any name's, any kept version's). */
  module(sha256: string): StoredModule | undefined {
    return this.#modules.get(sha256);
  }

  active(name: string): VersionRecord | undefined {
    const h = this.#history.get(name);
    return h?.versions.find((v) => v.version === h.active);
  }

  /** Oldest first, each marked active or not. */
  list(name: string): (VersionRecord & { active: boolean })[] {
    const h = this.#history.get(name);
    if (!h) throw errors.unknownFunction(name);
    return h.versions.map((v) => ({ ...v, active: v.version === h.active }));
  }

  /** For functions.json. */
  snapshot(name: string): { active: number; versions: VersionRecord[] } | undefined {
    const h = this.#history.get(name);
    return h && { active: h.active, versions: h.versions.map((v) => ({ ...v })) };
  }

  forget(name: string): void {
    this.#history.delete(name);
    this.#prune();
  }

  #prune(): void {
    const used = new Set<string>();
    for (const h of this.#history.values()) for (const v of h.versions) used.add(v.sha256);
    for (const hash of this.#modules.keys()) if (!used.has(hash)) this.#modules.delete(hash);
  }
}

function sameDeploy(a: Omit<VersionRecord, "version">, b: Omit<VersionRecord, "version">): boolean {
  return (
    a.sha256 === b.sha256 &&
    a.memory_limit_bytes === b.memory_limit_bytes &&
    a.timeout_ms === b.timeout_ms &&
    a.path === b.path &&
    a.capabilities.join(",") === b.capabilities.join(",") &&
    (a.keys ?? ["*"]).join("\n") === (b.keys ?? ["*"]).join("\n")
  );
}
