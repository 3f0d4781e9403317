// The host side of the prepare worker (prepare/worker.ts): one thread, started on the first module
// that needs instrumenting and stopped after a while idle, so a host that loads nothing never pays
// for binaryen. Requests queue in the worker and run one at a time.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { FerriteError, type ErrorCode } from "../errors.js";
import type { Instrumented } from "./instrument-module.js";
import { codeLocation } from "./location.js";

export interface PrepareRequest {
  id: number;
  bytes: Uint8Array;
}

export type PrepareReply =
  | ({ id: number; ok: true } & Instrumented)
  | { id: number; ok: false; code: ErrorCode | null; message: string; data: Record<string, unknown> };

/** How long an idle worker (and its copy of binaryen) is kept. */
const IDLE_MS = 30_000;

interface Pending {
  resolve(r: Instrumented): void;
  reject(e: unknown): void;
}

interface Pool {
  worker: Worker | null;
  nextId: number;
  pending: Map<number, Pending>;
  idle: NodeJS.Timeout | null;
}

// One pool per thread for each worker file, even when this module is evaluated more than once (a
// test runner's fresh module graph, two copies of the runtime in one program): binaryen loads once.
const POOLS = Symbol.for("ferrite-wasm.prepare-pools");
const pools = ((globalThis as { [POOLS]?: Map<string, Pool> })[POOLS] ??= new Map());

function pool(): Pool {
  const key = codeLocation().worker.href;
  let p = pools.get(key);
  if (!p) pools.set(key, (p = { worker: null, nextId: 0, pending: new Map(), idle: null }));
  return p;
}

/** Checks, instruments and compiles `bytes` on the prepare worker. */
export function instrumentOffThread(bytes: Uint8Array): Promise<Instrumented> {
  const p = pool();
  const w = (p.worker ??= start(p));
  if (p.idle) clearTimeout(p.idle);
  p.idle = null;
  const id = ++p.nextId;
  const copy = bytes.slice(); // a view may share a large buffer (a socket read); send only the module
  return new Promise<Instrumented>((resolve, reject) => {
    p.pending.set(id, { resolve, reject });
    if (p.pending.size === 1) w.ref(); // a pending load keeps the process alive
    w.postMessage({ id, bytes: copy } satisfies PrepareRequest, [copy.buffer]);
  });
}

function start(p: Pool): Worker {
  const w = spawn();
  w.unref();
  w.on("message", (reply: PrepareReply) => {
    const waiting = p.pending.get(reply.id);
    if (!waiting) return;
    p.pending.delete(reply.id);
    if (p.pending.size === 0) idleFrom(p, w);
    if (reply.ok) waiting.resolve(reply);
    else if (reply.code) waiting.reject(new FerriteError(reply.code, reply.message, null, reply.data));
    else waiting.reject(new FerriteError("ERR_INVALID_MODULE", `the runtime failed while preparing this module (${reply.message}); please report it with the module attached`));
  });
  const fail = (why: string) => {
    if (p.worker === w) p.worker = null;
    for (const waiting of p.pending.values()) {
      waiting.reject(new FerriteError("ERR_INVALID_MODULE", `the runtime's module worker stopped while preparing this module (${why}); try again, and report it with the module attached if it repeats`));
    }
    p.pending.clear();
  };
  w.on("error", (e) => fail(e.message));
  w.on("exit", (code) => fail(`exit code ${code}`));
  return w;
}

function idleFrom(p: Pool, w: Worker): void {
  w.unref();
  p.idle = setTimeout(() => {
    if (p.worker === w && p.pending.size === 0) {
      p.worker = null;
      void w.terminate();
    }
  }, IDLE_MS).unref();
}

/** The worker from the bundle or the compiled package; from the TypeScript sources (tests, bench) through tsx. */
function spawn(): Worker {
  const loc = codeLocation();
  const options = { execArgv: workerExecArgv() };
  if (loc.kind !== "source") return new Worker(loc.worker, options);
  // binaryen first: through tsx's loader its 13 MB file takes seconds (25 s on a busy machine) to import.
  const require = createRequire(import.meta.url);
  const binaryen = pathToFileURL(require.resolve("binaryen")).href;
  const bootstrap = `import(${JSON.stringify(binaryen)}).then(() => import(${JSON.stringify(tsxEsmApi())})).then((t) => { t.register(); return import(${JSON.stringify(loc.worker.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** The process's flags (loaders, --import hooks) without --input-type, which only suits `node -e`. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    if (a === "--input-type") i++;
    else if (!a.startsWith("--input-type=")) out.push(a);
  }
  return out;
}

/** tsx's ESM register API (its package's "./esm/api" import export). */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports["./esm/api"].import.default)).href;
}
