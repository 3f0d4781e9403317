// Builds on a worker thread (dist/build-worker.js), for `ferrite-wasm dev`: its server answers
// calls on this process's event loop, and a compile there would hold every call until it ends.
// From the sources (no bundle) it builds in-process instead.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BuildOptions, FunctionBuild } from "./builder.js";
import type { FunctionSpec, Manifest } from "../project/manifest.js";
import { toolkitRoot } from "../shared/toolkit.js";

export type BuildRequest =
  | { id: number; kind: "build"; manifest: Manifest; names: string[]; options: BuildOptions }
  | { id: number; kind: "warm-up"; manifest: Manifest };
export type BuildReply = { id: number; results: FunctionBuild[] } | { id: number; error: string };

export interface Builds {
  build(manifest: Manifest, fns: readonly FunctionSpec[], options?: BuildOptions): Promise<FunctionBuild[]>;
  warmUp(manifest: Manifest): Promise<void>;
  close(): Promise<void>;
}

/** The bundled worker, when this code runs from the bundle beside it. */
function workerFile(): string | null {
  const dist = path.join(toolkitRoot(), "dist");
  const here = fileURLToPath(import.meta.url);
  const file = path.join(dist, "build-worker.js");
  return here.startsWith(dist + path.sep) && existsSync(file) ? file : null;
}

export function buildThread(): Builds {
  const file = workerFile();
  return file ? new WorkerBuilds(file) : inProcess;
}

const inProcess: Builds = {
  async build(manifest, fns, options) {
    return (await import("./builder.js")).buildFunctions(manifest, fns, options);
  },
  async warmUp(manifest) {
    await (await import("./builder.js")).warmUp(manifest);
  },
  async close() {},
};

class WorkerBuilds implements Builds {
  #worker: Worker | null = null;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (r: FunctionBuild[]) => void; reject: (e: Error) => void }>();

  constructor(readonly file: string) {}

  build(manifest: Manifest, fns: readonly FunctionSpec[], options: BuildOptions = {}): Promise<FunctionBuild[]> {
    return this.#send({ id: this.#next++, kind: "build", manifest, names: fns.map((f) => f.name), options });
  }

  async warmUp(manifest: Manifest): Promise<void> {
    await this.#send({ id: this.#next++, kind: "warm-up", manifest });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #send(request: BuildRequest): Promise<FunctionBuild[]> {
    const worker = this.#start();
    worker.ref(); // a build in progress keeps the process alive; an idle thread does not
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  /** The worker, started on first use and again after it died (the next build gets a fresh one). */
  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.file);
    worker.unref();
    worker.on("message", (reply: BuildReply) => {
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if ("error" in reply) waiting?.reject(new Error(`the build failed unexpectedly: ${reply.error}`));
      else waiting?.resolve(reply.results);
    });
    const fail = (e: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const w of this.#pending.values()) w.reject(e);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the build thread stopped (exit code ${code})`)));
    return (this.#worker = worker);
  }
}
