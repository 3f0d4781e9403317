// The `ferrite-wasm dev` loop: build, deploy, watch; on every save rebuild what changed (on the build
// thread, so the server in this process keeps answering while it compiles), hot-swap it into the
// server with WASM.LOADB ... REPLACE (calls in flight finish on the old version, the next ones run
// the new), then run the affected tests (beside the build queue, so they never delay a swap). A
// build that fails deploys nothing, so the last good version keeps serving.
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FerriteClient } from "../../server/client.js";
import type { FunctionBuild } from "../build/builder.js";
import type { Watcher } from "../build/watch.js";
import { formatDiagnostic } from "../build/diagnostics.js";
import { buildThread, type Builds } from "../build/thread.js";
import type { TestSummary } from "../project/vitest.js";
import { loadManifest, selectFunctions, type FunctionSpec, type Manifest } from "../project/manifest.js";

/** Everything the session reports, for text or JSON-lines output. */
export type DevEvent =
  | { type: "building"; functions: string[] }
  | { type: "build"; function: string; ok: boolean; compiled: boolean; durationMs: number; errors: string[] }
  | { type: "deploy"; function: string; version: number | null; durationMs: number; savedAt: number | null; servingAt: number }
  | { type: "deploy-failed"; function: string; error: string }
  | { type: "tests"; ok: boolean; passed: number; failed: number; failures: string[]; durationMs: number }
  | { type: "watching"; root: string };

export interface DevSessionOptions {
  names: string[];
  client: FerriteClient;
  /** Run the affected tests after each swap. */
  test: boolean;
  emit: (e: DevEvent) => void;
}

export class DevSession {
  #manifest: Manifest;
  #queue: Promise<unknown> = Promise.resolve();
  #watcher: Watcher | null = null;
  readonly #pendingTests = new Set<string>();
  #testing: Promise<void> | null = null;
  readonly #builds: Builds;

  constructor(
    manifest: Manifest,
    readonly options: DevSessionOptions,
  ) {
    this.#manifest = manifest;
    this.#builds = buildThread();
  }

  /** Watches first (an edit during the first build is not missed), then builds and deploys everything. */
  async start(): Promise<void> {
    const { watchProject } = await import("../build/watch.js");
    this.#watcher = watchProject(this.#manifest.root, this.#manifest.outDir, (files) => {
      const savedAt = savedTime(this.#manifest.root, files);
      void this.#enqueue(() => this.#changed(files, savedAt));
    });
    await this.#watcher.ready;
    const first = await this.#enqueue(() => this.#cycle(this.#functions(), { deployAll: true, savedAt: null, tests: [] }));
    this.options.emit({ type: "watching", root: this.#manifest.root });
    // Every module was up to date: compile once now, so the first save builds at warm speed.
    if (first.every((r) => !r.compiled)) void this.#enqueue(() => this.#builds.warmUp(this.#manifest));
  }

  /** Resolves when the work queued so far is done (tests). */
  async idle(): Promise<void> {
    await this.#queue;
    await this.#testing;
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
    await this.#builds.close();
  }

  #enqueue<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => {});
    return run;
  }

  #functions(): FunctionSpec[] {
    return selectFunctions(this.#manifest, this.options.names);
  }

  async #changed(files: string[], savedAt: number): Promise<void> {
    this.#manifest = loadManifest(this.#manifest.root);
    const tests = files.filter((f) => /\.(test|spec)\.ts$/.test(f));
    const manifestChanged = files.some((f) => path.basename(f) === "ferrite.toml");
    // A changed function source, shared module or the manifest: the builder recompiles only what is stale.
    const sources = files.length > tests.length;
    await this.#cycle(sources ? this.#functions() : [], { deployAll: manifestChanged, savedAt, tests });
  }

  async #cycle(fns: FunctionSpec[], o: { deployAll: boolean; savedAt: number | null; tests: string[] }): Promise<FunctionBuild[]> {
    let results: FunctionBuild[] = [];
    if (fns.length > 0) {
      this.options.emit({ type: "building", functions: fns.map((f) => f.name) });
      try {
        results = await this.#builds.build(this.#manifest, fns);
      } catch (e) {
        for (const f of fns) this.options.emit({ type: "build", function: f.name, ok: false, compiled: false, durationMs: 0, errors: [(e as Error).message] });
        return [];
      }
    }
    const deployed: string[] = [];
    for (const r of results) {
      const errors = r.ok ? [] : r.diagnostics.filter((d) => d.category === "error").map(formatDiagnostic);
      if (!r.ok && r.report) errors.push(...r.report.problems.filter((p) => p.level === "error").map((p) => p.message));
      this.options.emit({ type: "build", function: r.name, ok: r.ok, compiled: r.compiled, durationMs: r.durationMs, errors });
      if (!r.ok || (!r.compiled && !o.deployAll)) continue;
      if (await this.#deploy(fns.find((f) => f.name === r.name)!, o.savedAt)) deployed.push(r.name);
    }
    if (!this.options.test) return results;
    for (const f of [...deployed, ...o.tests.map((t) => path.basename(t))]) this.#pendingTests.add(f);
    this.#testing ??= this.#runPendingTests().finally(() => (this.#testing = null));
    return results;
  }

  /** Tests run beside the build queue, so a save never waits for the previous save's tests. */
  async #runPendingTests(): Promise<void> {
    while (this.#pendingTests.size > 0) {
      const filters = [...this.#pendingTests];
      this.#pendingTests.clear();
      await this.#test(filters);
    }
  }

  async #deploy(fn: FunctionSpec, savedAt: number | null): Promise<boolean> {
    const started = performance.now();
    try {
      const wasm = new Uint8Array(await readFile(fn.wasmPath));
      await this.options.client.wasmLoadB(fn.name, wasm, { capabilities: fn.capabilities, memory: fn.memory, timeoutMs: fn.timeoutMs, replace: true });
      const info = (await this.options.client.wasmInfo(fn.name)) as { version?: number };
      this.options.emit({ type: "deploy", function: fn.name, version: info.version ?? null, durationMs: performance.now() - started, savedAt, servingAt: Date.now() });
      return true;
    } catch (e) {
      this.options.emit({ type: "deploy-failed", function: fn.name, error: (e as Error).message });
      return false;
    }
  }

  /** `ferrite-wasm test` in a child process: vitest's work must not slow the server's calls or the next build. */
  async #test(filters: string[]): Promise<void> {
    const { execFile } = await import("node:child_process");
    const args = [process.argv[1], "test", ...filters, "--no-build", "--json"];
    const stdout = await new Promise<string>((resolve) => {
      execFile(process.execPath, args, { cwd: this.#manifest.root, maxBuffer: 16 * 1024 * 1024 }, (_err, out) => resolve(String(out)));
    });
    try {
      const s = JSON.parse(stdout) as TestSummary & { error?: { message: string } };
      if (s.error) throw new Error(s.error.message);
      const failures = [...s.failures.map((f) => `${f.file} > ${f.test}: ${f.message.split("\n")[0]}`), ...s.errors];
      this.options.emit({ type: "tests", ok: s.ok, passed: s.passed, failed: s.failed, failures, durationMs: s.durationMs });
    } catch (e) {
      const why = e instanceof SyntaxError ? `ferrite-wasm test gave no result (${stdout.slice(0, 200) || "no output"})` : (e as Error).message;
      this.options.emit({ type: "tests", ok: false, passed: 0, failed: 0, failures: [why], durationMs: 0 });
    }
  }
}

/** When the edit was saved: the newest modification time among the changed files (the watcher reports later). */
function savedTime(root: string, files: string[]): number {
  let t = 0;
  for (const f of files) t = Math.max(t, statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return t > 0 ? t : Date.now();
}
