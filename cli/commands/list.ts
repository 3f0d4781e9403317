// `ferrite-wasm list`: the functions a server has loaded (WASM.LIST), with their settings (WASM.INFO).
import { Command } from "commander";
import type { FunctionInfo } from "../../runtime-sim/index.js";
import { size } from "../shared/print.js";
import { action } from "../program.js";
import { displayUrl, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

export function listCommand(): Command {
  return withOptions(new Command("list").description("list the functions loaded in a server (WASM.LIST)"), { url: true })
    .addHelpText("after", "\nExamples:\n  $ ferrite-wasm list\n  $ ferrite-wasm list --url redis://127.0.0.1:6390 --json")
    .action(
      action<RemoteOptions>(async (_args, opts, out) => {
        const { url, infos } = await withServer(opts, async (client, url) => {
          const names = (await client.wasmList()).sort();
          const infos: FunctionInfo[] = [];
          for (const n of names) infos.push(await client.wasmInfo(n));
          return { url, infos };
        });
        if (out.json) {
          out.emit({ url: displayUrl(url), functions: infos });
          return;
        }
        const { c } = out;
        if (infos.length === 0) {
          out.line(`No functions loaded in ${displayUrl(url)}; deploy some with \`ferrite-wasm deploy --url ${displayUrl(url)}\`.`);
          return;
        }
        const w = Math.max(8, ...infos.map((i) => i.name.length));
        out.line(c.dim(`${"function".padEnd(w)}  ${"size".padStart(8)}  ${"capabilities".padEnd(24)}  ${"memory".padStart(6)}  ${"timeout".padStart(8)}  ${"calls".padStart(7)}  source`));
        for (const i of infos) {
          const caps = (i.capabilities.join(",") || "none").padEnd(24);
          out.line(`${c.bold(i.name.padEnd(w))}  ${size(i.size_bytes).padStart(8)}  ${caps}  ${i.memory_limit.padStart(6)}  ${`${i.timeout_ms} ms`.padStart(8)}  ${String(i.invocations).padStart(7)}  ${i.path ?? c.dim("bytes (WASM.LOADB)")}`);
        }
        out.line(c.dim(`${infos.length} function${infos.length === 1 ? "" : "s"} in ${displayUrl(url)}`));
      }),
    );
}
