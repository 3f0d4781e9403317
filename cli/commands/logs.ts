// `ferrite-wasm logs [function...]`: what a server kept of its functions' ferrite_log lines and
// calls (WASM.LOGS), like `tail`; with --follow it keeps streaming new ones, like `wrangler tail`,
// until Ctrl-C. A follower reads after the last id it printed, so it misses nothing the server
// still holds; when it falls behind the server's ring, the server says what was lost.
import { Command, InvalidArgumentError } from "commander";
import type { FerriteClient, WasmLogEntry } from "../../server/client.js";
import { action } from "../program.js";
import { withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";
import type { Output } from "../shared/print.js";

interface LogsOptions extends RemoteOptions {
  follow?: boolean;
  since?: string;
  lines?: number;
}

/** How long one WASM.LOGS waits on the server before the follower asks again. */
const FOLLOW_BLOCK_MS = 5000;
const PAGE = 1000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "10m", "2h", "30s", "1d", an ISO time, ms since the epoch, or an entry id -> WASM.LOGS SINCE. */
export function sinceArg(value: string, now = Date.now()): string {
  const rel = /^(\d+)([smhd])$/.exec(value);
  if (rel) return String(now - Number(rel[1]) * UNITS[rel[2]]);
  if (/^\d+-\d+$/.test(value) || /^\d{10,}$/.test(value)) return value;
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return String(t);
  throw new InvalidArgumentError(`'${value}' is not a time; write 30s, 10m, 2h, 1d, an ISO time (2026-11-24T10:00:00Z) or an entry id.`);
}

function lines(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError(`'${value}' is not a number of lines; use 1 to 10000.`);
  return n;
}

export function logsCommand(): Command {
  return withOptions(
    new Command("logs")
      .description("print the log lines and calls a server kept for its functions; --follow streams new ones (WASM.LOGS)")
      .argument("[functions...]", "only these functions (default: all)")
      .option("-f, --follow", "keep printing new entries as they come, until Ctrl-C")
      .option("--since <when>", "entries from then on: 30s, 10m, 2h, 1d, an ISO time, or an entry id", (v) => sinceArg(v))
      .option("-n, --lines <n>", "without --since: the last n entries (default 50)", lines),
    { url: true },
  )
    .addHelpText(
      "after",
      `
Each call shows as one line (ok, or its error code and reply), after the log lines it wrote.
A failed call the server's flight recorder kept can be replayed on this machine with
\`ferrite-wasm replay <function> <id>\`; the line says so.

--json prints one JSON object per entry, one per line.

Examples:
  $ ferrite-wasm logs --url redis://127.0.0.1:6390
  $ ferrite-wasm logs validate --follow
  $ ferrite-wasm logs validate process_order --since 10m
  $ ferrite-wasm logs --follow --json | jq 'select(.outcome != "ok")'`,
    )
    .action(
      action<LogsOptions>(async ([fns], opts, out) => {
        const functions = (fns as string[] | undefined) ?? [];
        await withServer(opts, async (client) => {
          const cursor = await printBacklog(client, functions, opts, out);
          if (opts.follow) await follow(client, functions, cursor, out);
        });
      }),
    );
}

/** The tail (or everything since --since); returns the cursor to follow from. */
async function printBacklog(client: FerriteClient, functions: string[], opts: LogsOptions, out: Output): Promise<string> {
  if (opts.since === undefined) {
    const entries = await client.wasmLogs({ functions, count: opts.lines ?? 50 });
    for (const e of entries) print(e, out);
    // Nothing yet for these functions: whatever arrives from now on is new, so start at the beginning.
    return entries.at(-1)?.id ?? "0-0";
  }
  let cursor = opts.since;
  for (;;) {
    const entries = await client.wasmLogs({ functions, since: cursor, count: PAGE });
    for (const e of entries) print(e, out);
    if (entries.length === 0) return cursor;
    cursor = entries.at(-1)!.id;
    if (entries.length < PAGE) return cursor;
  }
}

async function follow(client: FerriteClient, functions: string[], from: string, out: Output): Promise<void> {
  let cursor = from;
  let stopping = false;
  const stop = () => {
    stopping = true;
    client.disconnect();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    while (!stopping) {
      let entries: WasmLogEntry[];
      try {
        entries = await client.wasmLogs({ functions, since: cursor, block: FOLLOW_BLOCK_MS, count: PAGE });
      } catch (e) {
        if (stopping) return;
        throw e;
      }
      for (const e of entries) {
        print(e, out);
        if (e.type !== "dropped") cursor = e.id;
      }
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

function print(e: WasmLogEntry, out: Output): void {
  if (out.json) {
    process.stdout.write(JSON.stringify(e) + "\n");
    return;
  }
  const { c } = out;
  if (e.type === "dropped") {
    process.stderr.write(`${out.sym.warn} ${c.yellow(`fell behind: ${e.message}`)}\n`);
    return;
  }
  const when = c.dim(new Date(e.time!).toISOString());
  const who = `${c.bold(e.function)}${e.version === null ? "" : c.dim(` v${e.version}`)}`;
  if (e.type === "log") {
    const level = e.level!.padEnd(5);
    const colored = e.level === "error" ? c.red(level) : e.level === "warn" ? c.yellow(level) : e.level === "info" ? c.cyan(level) : c.dim(level);
    out.line(`${when} ${who} ${colored} ${e.message}`);
    return;
  }
  const took = `${(e.duration_us! / 1000).toFixed(2)} ms`;
  const via = e.via === "wasm.call" ? "" : c.dim(` (${e.via})`);
  if (e.outcome === "ok") {
    out.line(`${when} ${who} ${c.green("call ")} ok ${c.dim(took)}${via}`);
    return;
  }
  const replay = e.recorded ? c.dim(`  replay: ferrite-wasm replay ${e.function} ${e.id}`) : "";
  out.line(`${when} ${who} ${c.red("call ")} ${c.red(e.outcome!)} ${c.dim(took)}${via} ${e.error}${replay}`);
}
