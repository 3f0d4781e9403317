// Starts a ferrite-wasm server in-process on a free port, with a temporary plugins_dir holding the
// WAT fixtures, and drives it with the real redis-cli binary.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { deepMerge } from "../../server/config/load.js";
import { startServer, type ConfigInput, type FerriteServer, type ServerOptions } from "../../server/index.js";
import { watFile } from "./wat.js";

export const ECHO_WASM = watFile(new URL("../fixtures/wat/echo.wat", import.meta.url));
export const KV_WASM = watFile(new URL("../server/fixtures/kv.wat", import.meta.url));

export interface TestServer {
  server: FerriteServer;
  port: number;
  /** Temporary directory: plugins/ (echo.wasm, kv.wasm) and whatever the test puts there. */
  dir: string;
  pluginsDir: string;
  cli(args: string[], options?: CliOptions): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions extends Omit<ServerOptions, "config"> {
  /** Reuse a directory (restart tests); it is then not removed on close. */
  dir?: string;
}

export async function startTestServer(config: ConfigInput = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), "ferrite-server-")));
  const pluginsDir = path.join(dir, "plugins");
  await mkdir(pluginsDir, { recursive: true });
  await writeFile(path.join(pluginsDir, "echo.wasm"), ECHO_WASM);
  await writeFile(path.join(pluginsDir, "kv.wasm"), KV_WASM);
  const merged = deepMerge({ server: { port: 0 }, wasm: { plugins_dir: pluginsDir } }, config as Record<string, unknown>);
  const server = await startServer({ ...options, config: merged as ConfigInput });
  return {
    server,
    port: server.port,
    dir,
    pluginsDir,
    cli: (args, o) => redisCli(server.port, args, o),
    async close() {
      await server.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CliOptions {
  /** Sent on stdin (with -x: as the last argument). */
  input?: string | Uint8Array;
  /** Extra redis-cli flags, e.g. ["-3"] or ["-a", "secret"]. */
  flags?: string[];
}

/** Runs redis-cli against 127.0.0.1:port; resolves with its output without trailing newlines. */
export function redisCli(port: number, args: string[], o: CliOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "redis-cli",
      ["-h", "127.0.0.1", "-p", String(port), ...(o.flags ?? []), ...args],
      // No timeout: on a busy machine a cold redis-cli can take seconds; the test's own timeout bounds it.
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && !stdout) reject(new Error(`redis-cli ${args.join(" ")} failed: ${stderr || err.message}`));
        else resolve(stdout.replace(/\n+$/, ""));
      },
    );
    // redis-cli may exit before reading stdin (a quick reply): that EPIPE is not a failure.
    child.stdin!.on("error", () => {});
    child.stdin!.end(o.input ?? "");
  });
}
