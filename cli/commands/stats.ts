// `ferrite-wasm stats [fn]`: WASM.STATS, for one function or every one plus totals.
import { Command } from "commander";
import type { FunctionStats } from "../../runtime-sim/index.js";
import type { Output } from "../shared/print.js";
import { action } from "../program.js";
import { displayUrl, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

export function statsCommand(): Command {
  return withOptions(
    new Command("stats").description("show call counters and durations (WASM.STATS)").argument("[function]", "one function (default: all, with totals)"),
    { url: true },
  )
    .addHelpText("after", "\nExamples:\n  $ ferrite-wasm stats\n  $ ferrite-wasm stats validate --json")
    .action(
      action<RemoteOptions>(async ([name], opts, out) => {
        if (name !== undefined) {
          const stats = await withServer(opts, (client) => client.wasmStats(String(name)));
          if (out.json) out.emit({ function: name, ...stats });
          else table([[String(name), stats]], out);
          return;
        }
        const { url, all } = await withServer(opts, async (client, url) => ({ url, all: await client.wasmStats() }));
        if (out.json) {
          out.emit(all);
          return;
        }
        const entries = Object.entries(all.functions).sort(([a], [b]) => a.localeCompare(b));
        if (entries.length === 0) out.line(`No functions loaded in ${displayUrl(url)}.`);
        else table(entries, out);
        const t = all.totals;
        out.line(out.c.dim(`${t.functions} function${t.functions === 1 ? "" : "s"} · ${t.invocations} calls · ${t.successful} ok · ${t.failed} failed · ${t.timeouts} timed out`));
      }),
    );
}

function table(rows: [string, FunctionStats][], out: Output): void {
  const { c } = out;
  const w = Math.max(8, ...rows.map(([n]) => n.length));
  const num = (v: number | string, width = 8) => String(v).padStart(width);
  out.line(c.dim(`${"function".padEnd(w)}  ${num("calls")}  ${num("ok")}  ${num("failed")}  ${num("timeouts")}  ${num("avg ms")}  ${num("p99 ms")}  ${num("memory")}  last call`));
  for (const [n, s] of rows) {
    out.line(`${c.bold(n.padEnd(w))}  ${num(s.invocations)}  ${num(s.successful)}  ${num(s.failed)}  ${num(s.timeouts)}  ${num(s.avg_duration_ms)}  ${num(s.p99_duration_ms)}  ${num(s.memory_used)}  ${s.last_invocation ?? c.dim("never")}`);
  }
}
