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
  /** SIGTERM, then the exit code once the server has closed (and saved). */
  stop(): Promise<number | string | null>;
}

export async function startServe(args: string[], cwd: string): Promise<ServeProcess> {
  const proc = spawnCli(["serve", "--port", "0", "--json", ...args], cwd);
  const ready = (await proc.waitFor((e) => e.ready === true, "the server was ready")) as unknown as { url: string; port: number };
  return {
    url: ready.url,
    port: ready.port,
    child: proc.child,
    output: proc.output,
    errors: proc.errors,
    async stop() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGTERM");
      return proc.exited();
    },
  };
}
