// `ferrite-wasm unload <fn>`: WASM.UNLOAD.
import { Command } from "commander";
import { action } from "../program.js";
import { displayUrl, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

export function unloadCommand(): Command {
  return withOptions(new Command("unload").description("remove a function from a server (WASM.UNLOAD)").argument("<function>", "the function's name"), { url: true })
    .addHelpText("after", "\nExample:\n  $ ferrite-wasm unload validate --url redis://127.0.0.1:6390")
    .action(
      action<RemoteOptions>(async ([name], opts, out) => {
        const url = await withServer(opts, async (client, url) => (await client.wasmUnload(String(name)), url));
        if (out.json) out.emit({ ok: true, function: name, url: displayUrl(url) });
        else out.line(`${out.sym.ok} Unloaded ${out.c.bold(String(name))} from ${displayUrl(url)}.`);
      }),
    );
}
