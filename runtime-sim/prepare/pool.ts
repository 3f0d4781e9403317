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

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();
let idle: NodeJS.Timeout | null = null;

/** Checks, instruments and compiles `bytes` on the prepare worker. */
export function instrumentOffThread(bytes: Uint8Array): Promise<Instrumented> {
  const w = (worker ??= start());
  if (idle) clearTimeout(idle);
  idle = null;
  const id = ++nextId;
  const copy = bytes.slice(); // a view may share a large buffer (a socket read); send only the module
  return new Promise<Instrumented>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    if (pending.size === 1) w.ref(); // a pending load keeps the process alive
    w.postMessage({ id, bytes: copy } satisfies PrepareRequest, [copy.buffer]);
  });
}

function start(): Worker {
  const w = spawn();
  w.unref();
  w.on("message", (reply: PrepareReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    settled(w);
    if (reply.ok) p.resolve(reply);
    else if (reply.code) p.reject(new FerriteError(reply.code, reply.message, null, reply.data));
    else p.reject(new FerriteError("ERR_INVALID_MODULE", `the runtime failed while preparing this module (${reply.message}); please report it with the module attached`));
  });
  const fail = (why: string) => {
    if (worker === w) worker = null;
    for (const p of pending.values()) {
      p.reject(new FerriteError("ERR_INVALID_MODULE", `the runtime's module worker stopped while preparing this module (${why}); try again, and report it with the module attached if it repeats`));
    }
    pending.clear();
  };
  w.on("error", (e) => fail(e.message));
  w.on("exit", (code) => fail(`exit code ${code}`));
  return w;
}

function settled(w: Worker): void {
  if (pending.size > 0) return;
  w.unref();
  idle = setTimeout(() => {
    if (worker === w && pending.size === 0) {
      worker = null;
      void w.terminate();
    }
  }, IDLE_MS).unref();
}

/** The worker from the bundle or the compiled package; from the TypeScript sources (tests, bench) through tsx. */
function spawn(): Worker {
  const loc = codeLocation();
  if (loc.kind !== "source") return new Worker(loc.worker);
  const tsx = tsxEsmApi();
  return new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(loc.worker.href)}); });`, { eval: true });
}

/** tsx's ESM register API (its package's "./esm/api" import export). */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports["./esm/api"].import.default)).href;
}
