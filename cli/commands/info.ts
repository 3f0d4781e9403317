// `ferrite-wasm info <fn>`: one function's WASM.INFO (settings, module size and hash, counters).
import { Command } from "commander";
import { size } from "../shared/print.js";
import { action } from "../program.js";
import { withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

export function infoCommand(): Command {
  return withOptions(
    new Command("info").description("show a loaded function's settings and module (WASM.INFO)").argument("<function>", "the function's name"),
    { url: true },
  )
    .addHelpText("after", "\nExamples:\n  $ ferrite-wasm info validate\n  $ ferrite-wasm info validate --json")
    .action(
      action<RemoteOptions>(async ([name], opts, out) => {
        const info = await withServer(opts, (client) => client.wasmInfo(String(name)));
        if (out.json) {
          out.emit(info);
          return;
        }
        const { c } = out;
        const rows: [string, string][] = [
          ["entry", info.entry],
          ["capabilities", info.capabilities.join(", ") || "none"],
          ["memory", info.memory_limit],
          ["timeout", `${info.timeout_ms} ms`],
          ["module", `${size(info.size_bytes)} · sha256 ${info.sha256}`],
          ["source", info.path ?? "bytes (WASM.LOADB)"],
          ["loaded at", info.loaded_at],
          ["calls", `${info.invocations} (${info.errors} failed, avg ${info.avg_duration_ms} ms)`],
          ["imports", info.imports.join(", ") || "none"],
          ["exports", info.exports.join(", ")],
        ];
        out.line(c.bold(info.name));
        for (const [k, v] of rows) out.line(`  ${c.dim(k.padEnd(12))} ${v}`);
      }),
    );
}
