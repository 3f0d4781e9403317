// `ferrite-wasm serve`: the RESP server that deploys go to, on the embedded defaults or a TOML file,
// with flags winning over the file. Runs until SIGINT/SIGTERM, then closes connections and saves.
import { Command, InvalidArgumentError } from "commander";
import { announce, checkWorkers, isWorker, supervise } from "./serve-workers.js";
import type { ConfigInput, LogLevel } from "../../server/index.js";
import { port, withOptions } from "../shared/options.js";
import { CliError } from "../shared/errors.js";
import type { Output } from "../shared/print.js";
import { action } from "../program.js";

interface ServeOptions {
  json?: boolean;
  config?: string;
  port?: number;
  bind?: string;
  store?: string;
  pluginsDir?: string;
  dataDir?: string;
  requirepass?: string;
  metricsPort?: number;
  quiet?: boolean;
  workers?: number;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError(`'${value}' is not a number of worker processes; use 1-256 (about one per core).`);
  return n;
}

export function serveCommand(): Command {
  const cmd = new Command("serve")
    .description("run a RESP server that loads and runs functions (WASM.* and the key commands)")
    .option("-c, --config <file.toml>", "read [server] and [wasm] settings from this file (docs/config.md)");
  return withOptions(cmd, { port: true })
    .option("--bind <address>", "address to listen on (default 127.0.0.1)")
    .option("--store <memory|url>", "the keyspace: memory (default), or redis://host:port of a Redis-compatible server")
    .option("--plugins-dir <dir>", "where WASM.LOAD finds module files")
    .option("--data-dir <dir>", "keep loaded functions here, so they survive a restart")
    .option("--requirepass <password>", "require AUTH with this password")
    .option("--metrics-port <port>", "serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0 picks a free port)", port)
    .option("-q, --quiet", "print only warnings and errors (and the functions' own logs)")
    .option("-w, --workers <n>", "run n server processes on the port (needs a Redis store; docs/scale.md)", workerCount)
    .addHelpText(
      "after",
      `
Flags override the config file; without either, the embedded defaults apply.
Stop the server with Ctrl-C (SIGINT) or SIGTERM.

Examples:
  $ ferrite-wasm serve
  $ ferrite-wasm serve --port 6390 --data-dir .ferrite
  $ ferrite-wasm serve --config ferrite-server.toml --requirepass s3cret
  $ ferrite-wasm serve --store redis://127.0.0.1:6379 --port 6390
  $ ferrite-wasm serve --port 6390 --metrics-port 9464   # then scrape http://127.0.0.1:9464/metrics
  $ ferrite-wasm serve --store redis://127.0.0.1:6379 --workers 4`,
    )
    .action(
      action<ServeOptions>(async (_args, opts, out) => {
        const { loadConfig, startServer } = await import("../../server/index.js");
        const overrides: ConfigInput = {
          server: {
            port: opts.port,
            bind: opts.bind,
            store: opts.store,
            data_dir: opts.dataDir,
            requirepass: opts.requirepass,
            metrics_port: opts.metricsPort,
          },
          wasm: { plugins_dir: opts.pluginsDir },
        };
        let config;
        let server;
        const workers = opts.workers ?? 1;
        try {
          config = await loadConfig({ file: opts.config, overrides });
          checkWorkers(workers, config.server.store);
          if (workers > 1 && !isWorker()) {
            const cfg = config;
            await supervise(workers, out, (ready, pids) => printReady(out, cfg, ready, workers, pids), untilSignal());
            if (out.json) process.stdout.write(JSON.stringify({ stopped: true }) + "\n");
            else out.note(`${out.sym.ok} Stopped.`);
            return;
          }
          server = await startServer({ config, log: logger(out, opts.quiet === true) });
        } catch (e) {
          const err = e as Error & { code?: string };
          if (err.code === "ERR_CONFIG") throw new CliError("ERR_SERVER", err.message, "fix the file or the flag named above (docs/config.md lists every key)");
          if (err.code === "ERR_SERVER_START") throw new CliError("ERR_SERVER", err.message);
          throw e;
        }
        if (isWorker()) {
          // A worker of --workers N: the primary prints the ready line once all of them listen.
          announce({ url: server.url, host: server.host, port: server.port });
          await Promise.race([untilSignal(), new Promise((r) => process.once("disconnect", r))]);
          await server.close();
          return;
        }
        printReady(out, config, server, 1, [process.pid]);
        await untilSignal();
        if (!out.json) out.note("Stopping…");
        await server.close();
        if (out.json) process.stdout.write(JSON.stringify({ stopped: true }) + "\n");
        else out.note(`${out.sym.ok} Stopped.`);
      }),
    );
}

function printReady(
  out: Output,
  config: { server: { store: string; requirepass?: string; users: unknown[]; data_dir?: string; tls_auth_clients?: string } },
  server: { url: string; host: string; port: number; metricsUrl?: string | null },
  workers: number,
  pids: number[],
): void {
  const auth = config.server.requirepass !== undefined || config.server.users.length > 0;
  if (out.json) {
    // One line, so a script can read the URL as soon as it appears.
    const line = { ready: true, url: server.url, host: server.host, port: server.port, store: config.server.store, auth, dataDir: config.server.data_dir ?? null, metricsUrl: server.metricsUrl ?? null, workers, pids };
    process.stdout.write(JSON.stringify(line) + "\n");
    return;
  }
  const { c, sym } = out;
  const processes = workers > 1 ? `, ${workers} worker processes` : "";
  out.line(`${sym.ok} ferrite-wasm serving on ${c.bold(server.url)} ${c.dim(`(store: ${redact(config.server.store)}${processes}${auth ? ", AUTH required" : ""}${config.server.data_dir ? `, data: ${config.server.data_dir}` : ""})`)}`);
  const tls = server.url.startsWith("rediss://");
  const tlsFlags = tls ? ` --tls-ca CA.pem${config.server.tls_auth_clients === "yes" ? " --tls-cert CERT.pem --tls-key KEY.pem" : ""}` : "";
  const scheme = tls ? "rediss" : "redis";
  out.line(c.dim(`  deploy with: ferrite-wasm deploy --url ${server.url}${tlsFlags}${auth ? ` (put the password in the URL: ${scheme}://:PASSWORD@host:port, or ${scheme}://USER:PASSWORD@host:port)` : ""}`));
  if (server.metricsUrl) out.line(c.dim(`  metrics at: ${server.metricsUrl}${workers > 1 ? " (each scrape answers for one worker process)" : ""}`));
  out.line(c.dim(`  follow its functions: ferrite-wasm logs --follow --url ${server.url}`));
  out.line(c.dim("  stop with Ctrl-C"));
}

/** A store URL without its password. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1@");
}

function logger(out: Output, quiet: boolean) {
  const { c } = out;
  const tag: Record<LogLevel, string> = { debug: c.dim("debug"), info: c.cyan("info "), warn: c.yellow("warn "), error: c.red("error") };
  return (level: LogLevel, message: string) => {
    if (quiet && (level === "debug" || level === "info") && !message.startsWith("[")) return;
    if (message.startsWith("ferrite-wasm listening on")) return; // the ready line says it

    // stderr, even with --json: stdout carries only the ready and stopped lines then.
    process.stderr.write(`${tag[level]} ${message}\n`);
  };
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve(signal);
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}
