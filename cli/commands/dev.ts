// `ferrite-wasm dev`: starts a server (or attaches to one with --url), builds and deploys the
// project's functions, then on every save rebuilds, hot-swaps with WASM.LOADB ... REPLACE and runs
// the affected tests. Shows each call's result, duration and logs as they happen (own server), or
// per-function call counts (attached server). Runs until Ctrl-C.
import { Command } from "commander";
import type { FerriteClient } from "../../server/client.js";
import type { CallResult } from "../../runtime-sim/index.js";
import type { DevEvent } from "../remote/dev-session.js";
import { CliError } from "../shared/errors.js";
import { loadManifest } from "../project/manifest.js";
import { duration, type Output } from "../shared/print.js";
import { action } from "../program.js";
import { connectionOptions, displayUrl, withServer } from "../remote/connect.js";
import { withOptions, type SharedOptions } from "../shared/options.js";

interface DevOptions extends SharedOptions {
  test?: boolean;
}

/** More calls than this in a second are summed up instead of printed one by one. */
const CALL_LINES_PER_SECOND = 10;

export function devCommand(): Command {
  const cmd = new Command("dev")
    .description("build, deploy and hot-swap functions on every save, with their calls and logs")
    .argument("[functions...]", "functions to develop (default: all in ferrite.toml)");
  return withOptions(withOptions(cmd, { port: "port of the server dev starts (default 6379; 0 picks a free one)" }).option("--no-test", "do not run the affected tests after each swap"), {
    url: true,
  })
    .addHelpText(
      "after",
      `
Without --url, dev runs its own server (embedded store) on 127.0.0.1. With --url it deploys to that
server instead, and shows call counts from WASM.STATS. A build that fails deploys nothing: the last
good version keeps serving. Each deploy is a new version (ferrite-wasm versions / rollback).

Examples:
  $ ferrite-wasm dev
  $ ferrite-wasm dev validate --port 6380
  $ ferrite-wasm dev --url redis://127.0.0.1:6379 --no-test`,
    )
    .action(
      action<DevOptions>(async ([names], opts, out) => {
        const manifest = loadManifest();
        const calls = new CallPrinter(out);
        const { url, close } = opts.url ? { url: opts.url, close: async () => {} } : await ownServer(opts.port ?? 6379, out, calls);
        const client = await connect(url, opts.url ? opts : null);
        const { DevSession } = await import("../remote/dev-session.js");
        const session = new DevSession(manifest, { names: names as string[], client, test: opts.test !== false, emit: (e) => print(e, out) });
        out.note(`${out.sym.info} ${opts.url ? "deploying to" : "serving on"} ${displayUrl(url)}`);
        // With --json the note is dropped: one line says where, so a script can connect (--port 0).
        if (out.json) process.stdout.write(JSON.stringify({ type: opts.url ? "deploying" : "serving", url: displayUrl(url) }) + "\n");
        await session.start();
        const poll = opts.url ? pollStats(client, out) : null;
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        if (poll) clearInterval(poll);
        await session.close();
        calls.close();
        client.disconnect();
        await close();
      }),
    );
}

async function ownServer(port: number, out: Output, calls: CallPrinter) {
  const { startServer } = await import("../../server/index.js");
  try {
    const server = await startServer({
      config: { server: { port } },
      onCall: (name, r) => calls.record(name, r),
      log: (level, message) => {
        if (level === "warn" || level === "error") out.note(`${level === "error" ? out.sym.fail : out.sym.warn} ${message}`);
      },
    });
    return { url: server.url, close: () => server.close() };
  } catch (e) {
    throw new CliError("ERR_SERVER", (e as Error).message, "pass --port 0 for a free port, or --url to use a server that is already running");
  }
}

/**
 * The session's client. For --url, one checked attempt first (the remote commands' messages for a
 * wrong URL, password, CA or permission), then a client that reconnects, with the same TLS files.
 */
async function connect(url: string, remote: DevOptions | null): Promise<FerriteClient> {
  const { FerriteClient } = await import("../../server/client.js");
  const options = remote ? await connectionOptions(remote, url) : {};
  if (remote) await withServer(remote, async () => {});
  const client = new FerriteClient(url, { ...options, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  client.redis.on("error", () => {}); // reported per command
  await client.ensureFunctions().catch((e) => {
    throw new CliError("ERR_CONNECT", `cannot use ${displayUrl(url)}: ${(e as Error).message}`, "start a server with `ferrite-wasm serve`, or leave out --url to let dev run its own");
  });
  return client;
}

function print(e: DevEvent, out: Output): void {
  if (out.json) {
    process.stdout.write(JSON.stringify(e) + "\n");
    return;
  }
  const { c, sym } = out;
  switch (e.type) {
    case "building":
      break; // the outcome says it
    case "build":
      if (!e.ok) {
        out.line(`${sym.fail} ${c.bold(e.function)} ${c.red("build failed; the last good version keeps serving")}`);
        for (const line of e.errors) out.line(`    ${c.red(line)}`);
      } else if (e.compiled) out.line(`${sym.ok} ${c.bold(e.function)} built in ${duration(e.durationMs)}`);
      break;
    case "deploy": {
      const latency = e.savedAt === null ? "" : c.dim(` · save to serving ${duration(e.servingAt - e.savedAt)}`);
      out.line(`${sym.arrow} ${c.bold(e.function)} ${c.green(`serving v${e.version ?? "?"}`)} (swap ${duration(e.durationMs)})${latency}`);
      break;
    }
    case "deploy-failed":
      out.line(`${sym.fail} ${c.bold(e.function)} ${c.red(`deploy failed: ${e.error}`)}`);
      break;
    case "tests":
      if (e.ok) out.line(`${sym.ok} tests: ${e.passed} passed ${c.dim(`(${duration(e.durationMs)})`)}`);
      else {
        out.line(`${sym.fail} ${c.red(`tests: ${e.failed} failed, ${e.passed} passed`)} ${c.dim("(the new version is serving; `ferrite-wasm rollback <fn>` goes back)")}`);
        for (const f of e.failures) out.line(`    ${c.red(f)}`);
      }
      break;
    case "watching":
      out.note(c.dim(`Watching ${e.root} for changes (Ctrl-C to stop)…`));
      break;
  }
}

/** Prints calls as they happen, at most CALL_LINES_PER_SECOND a second, then a sum per second. */
class CallPrinter {
  #lines = 0;
  #skipped = 0;
  #skippedMs = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(readonly out: Output) {
    this.#timer = setInterval(() => this.#flush(), 1000);
    this.#timer.unref();
  }

  record(name: string, r: CallResult): void {
    const { out } = this;
    if (out.json) {
      process.stdout.write(JSON.stringify({ type: "call", function: name, ok: r.ok, value: r.value === null ? null : Buffer.from(r.value).toString("utf8"), error: r.error?.reply ?? null, durationMs: r.durationMs, logs: r.logs.map((l) => ({ level: l.level, message: l.message })) }) + "\n");
      return;
    }
    if (this.#lines >= CALL_LINES_PER_SECOND) {
      this.#skipped++;
      this.#skippedMs += r.durationMs;
      return;
    }
    this.#lines++;
    const { c } = out;
    for (const l of r.logs) out.line(`    ${c.dim(`[${name}] ${l.level}`)} ${l.message}`);
    const shown = r.ok ? (r.value === null ? c.dim("nil") : clip(Buffer.from(r.value).toString("utf8"))) : c.red(r.error?.reply ?? "ERR");
    out.line(`  ${c.dim("call")} ${name} ${c.dim("→")} ${shown} ${c.dim(duration(r.durationMs))}`);
  }

  #flush(): void {
    if (this.#skipped > 0 && !this.out.json) {
      this.out.line(this.out.c.dim(`  … and ${this.#skipped} more calls (avg ${duration(this.#skippedMs / this.#skipped)})`));
    }
    this.#lines = 0;
    this.#skipped = 0;
    this.#skippedMs = 0;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

function clip(s: string, max = 80): string {
  const one = s.replace(/\n/g, "\\n");
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** Attached to another server: per-function call counts from WASM.STATS every 2 s. */
function pollStats(client: FerriteClient, out: Output): NodeJS.Timeout {
  const seen = new Map<string, number>();
  const timer = setInterval(async () => {
    try {
      const all = await client.wasmStats();
      for (const [name, s] of Object.entries(all.functions)) {
        const before = seen.get(name) ?? s.invocations;
        seen.set(name, s.invocations);
        if (s.invocations > before) out.line(`  ${out.c.dim("calls")} ${name} +${s.invocations - before} ${out.c.dim(`(total ${s.invocations}, ${s.failed} failed, avg ${s.avg_duration_ms} ms)`)}`);
      }
    } catch {
      // the server may be restarting; the next poll tries again
    }
  }, 2000);
  timer.unref();
  return timer;
}
