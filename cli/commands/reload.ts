// `ferrite-wasm reload <fn>`: WASM.RELOAD, which re-reads the file a function was loaded from.
import { Command } from "commander";
import { action } from "../program.js";
import { displayUrl, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

export function reloadCommand(): Command {
  return withOptions(
    new Command("reload")
      .description("re-read a function's module file on the server (WASM.RELOAD)")
      .argument("<function>", "the function's name (loaded with WASM.LOAD from plugins_dir)"),
    { url: true },
  )
    .addHelpText(
      "after",
      "\nOnly functions loaded from a file (WASM.LOAD) can be reloaded; for a deployed one\n(WASM.LOADB) run `ferrite-wasm deploy --replace`.\n\nExample:\n  $ ferrite-wasm reload validate",
    )
    .action(
      action<RemoteOptions>(async ([name], opts, out) => {
        const { url, info } = await withServer(opts, async (client, url) => {
          await client.wasmReload(String(name));
          return { url, info: await client.wasmInfo(String(name)) };
        });
        if (out.json) out.emit({ ok: true, function: name, url: displayUrl(url), sha256: info.sha256, size: info.size_bytes, path: info.path });
        else out.line(`${out.sym.ok} Reloaded ${out.c.bold(String(name))} from ${info.path} ${out.c.dim(`(sha256 ${info.sha256.slice(0, 12)}…)`)}.`);
      }),
    );
}
