// `ferrite-wasm serve` as a subprocess of the built CLI, on a port the server picks (--port 0),
// ready once it prints its --json ready line.
import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { spawnCli } from "./cli.js";

export const HAVE_REDIS_CLI = spawnSync("redis-cli", ["--version"]).status === 0;

export interface ServeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  errors(): string;
  /** SIGTERM, then the exit code (SIGKILL after 5 s). */
  stop(): Promise<number | string | null>;
}

export async function startServe(args: string[], cwd: string): Promise<ServeProcess> {
  const proc = spawnCli(["serve", "--port", "0", "--json", ...args], cwd);
  const exited = new Promise<number | string | null>((resolve) => proc.child.once("exit", (code, signal) => resolve(code ?? signal)));
  const deadline = Date.now() + 20_000;
  let ready: { url: string; port: number } | null = null;
  while (!ready) {
    const line = proc.output().split("\n").find((l) => l.includes('"ready"'));
    if (line) ready = JSON.parse(line);
    else if (proc.child.exitCode !== null || Date.now() > deadline) {
      proc.child.kill("SIGKILL");
      throw new Error(`ferrite-wasm serve did not start: ${proc.errors()}`);
    } else await new Promise((r) => setTimeout(r, 25));
  }
  return {
    ...ready!,
    child: proc.child,
    output: proc.output,
    errors: proc.errors,
    async stop() {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return exited;
      proc.child.kill("SIGTERM");
      const timer = setTimeout(() => proc.child.kill("SIGKILL"), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
