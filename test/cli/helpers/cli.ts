// Runs the built CLI (dist/cli.js, the package's bin) as a subprocess, building it first when
// its sources changed (once, in vitest's global setup, before the parallel workers start).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const CLI = path.join(ROOT, "dist/cli.js");
const STAMP = path.join(ROOT, "dist/.cli-test-stamp");
const run = promisify(execFile);

/** Everything the bundle and the dist/ types are made from. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(ts|mjs|json)$/.test(name)) hash.update(file).update(readFileSync(file));
    }
  };
  walk(path.join(ROOT, "cli"));
  walk(path.join(ROOT, "runtime-sim"));
  walk(path.join(ROOT, "server")); // dist/server (the ./server and ./client entries) is built from it
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json"]) hash.update(readFileSync(path.join(ROOT, f)));
  return hash.digest("hex");
}

/**
 * Builds dist/ (the bundle and the tsc output) unless it is up to date. vitest's global setup
 * (test/global-setup.ts) runs it once before any test file, so the calls in test files find it
 * fresh and return at once.
 */
export async function ensureCliBuilt(): Promise<void> {
  const want = sourceHash();
  if (existsSync(CLI) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === want) return;
  await run(process.execPath, [path.join(ROOT, "cli/bundle.mjs")], { cwd: ROOT });
  await run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
  mkdirSync(path.dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, want);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a user's shell would give: no vitest markers, no colours unless asked. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_OPTIONS$|NODE_ENV$|FORCE_COLOR$|NO_COLOR$|FERRITE_DEBUG$|TINYPOOL)/.test(k)) env[k] = v;
  }
  // One prepared-module cache for every CLI process of the suite (temporary projects included), so
  // a module instrumented once is not instrumented again by the next process (it is keyed by content).
  env.FERRITE_WASM_CACHE_DIR ??= path.join(ROOT, "node_modules", ".cache", "ferrite-wasm");
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export async function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cliEnv(options.env),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** A JSON line the CLI printed (build --watch, dev and serve print one per event with --json). */
export type Event = { type?: string; [key: string]: unknown };

export interface SpawnedCli {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  /** The JSON lines printed on stdout so far. */
  events: () => Event[];
  /**
   * Resolves with the first event (counting those already printed) that matches, as soon as it is
   * printed; rejects when the process exits first. No clock: the test's own timeout bounds the wait.
   */
  waitFor: (match: (e: Event, index: number) => boolean, what: string) => Promise<Event>;
  /** Resolves when the process has exited (at once if it already has). */
  exited: () => Promise<number | string | null>;
}

/** The CLI as a long-running process (build --watch, dev, serve), with its output as it arrives. */
export function spawnCli(args: string[], cwd: string): SpawnedCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv() });
  let out = "";
  let err = "";
  const parsed: Event[] = [];
  let partial = "";
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.on("data", (d) => {
    out += d;
    const lines = (partial + d).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        parsed.push(JSON.parse(line) as Event);
      } catch {
        // not an event line
      }
    }
    wake();
  });
  child.stderr!.on("data", (d) => (err += d));
  // A test that times out never reaches its own cleanup: the child must not outlive the test worker.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  const exit = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => {
      process.off("exit", orphan);
      resolve(code ?? signal);
    }),
  );
  void exit.then(wake);
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const waitFor = (match: (e: Event, index: number) => boolean, what: string) =>
    new Promise<Event>((resolve, reject) => {
      const check = () => {
        const found = parsed.find(match);
        if (found) {
          waiters.delete(check);
          resolve(found);
        } else if (hasExited()) {
          waiters.delete(check);
          reject(new Error(`ferrite-wasm ${args[0]} exited before ${what}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { child, output: () => out, errors: () => err, events: () => parsed, waitFor, exited: () => exit };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = "ferrite-cli-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under dir, relative and sorted (the create-vite listing check). */
export function listFiles(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      if (skip.includes(name)) continue;
      const file = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(file).isDirectory()) walk(file, r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}
