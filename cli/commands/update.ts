// `ferrite-wasm update <fn> [--capabilities] [--memory] [--timeout]`: WASM.UPDATE, then WASM.INFO.
import { Command } from "commander";
import { CliError } from "../shared/errors.js";
import { withOptions, type SharedOptions } from "../shared/options.js";
import { action } from "../program.js";
import { displayUrl, withServer } from "../remote/connect.js";

type UpdateOptions = SharedOptions;

export function updateCommand(): Command {
  return withOptions(
    new Command("update")
      .description("change a loaded function's capabilities, memory limit or timeout (WASM.UPDATE)")
      .argument("<function>", "the function's name"),
    { capabilities: 'grant exactly these, e.g. read,write ("" for none)', memory: true, timeout: true, url: true },
  )
    .addHelpText(
      "after",
      "\nThe change lasts until the next deploy, which applies ferrite.toml again.\n\nExamples:\n  $ ferrite-wasm update process_order --timeout 2000\n  $ ferrite-wasm update aggregate_stats --capabilities read,log --memory 4MB",
    )
    .action(
      action<UpdateOptions>(async ([name], opts, out) => {
        if (opts.capabilities === undefined && opts.memory === undefined && opts.timeout === undefined) {
          throw new CliError("ERR_USAGE", "nothing to update", "pass --capabilities, --memory and/or --timeout");
        }
        const { url, info } = await withServer(opts, async (client, url) => {
          await client.wasmUpdate(String(name), { capabilities: opts.capabilities, memory: opts.memory, timeoutMs: opts.timeout });
          return { url, info: await client.wasmInfo(String(name)) };
        });
        const settings = { capabilities: info.capabilities, memory: info.memory_limit, timeoutMs: info.timeout_ms };
        if (out.json) out.emit({ ok: true, function: name, url: displayUrl(url), ...settings });
        else {
          const { c, sym } = out;
          out.line(`${sym.ok} Updated ${c.bold(String(name))} on ${displayUrl(url)}: capabilities ${settings.capabilities.join(", ") || "none"} · memory ${settings.memory} · timeout ${settings.timeoutMs} ms`);
        }
      }),
    );
}
