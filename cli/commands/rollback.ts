// `ferrite-wasm rollback <fn> [version]`: makes a kept version the active one, atomically
// (WASM.ROLLBACK; docs/commands.md). `versions` (versions.ts) lists them.
import { Command } from "commander";
import { action } from "../program.js";
import { send, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";
import type { Listed } from "./versions.js";

export function rollbackCommand(): Command {
  return withOptions(
    new Command("rollback")
      .description("switch a function back to a kept version, atomically (WASM.ROLLBACK)")
      .argument("<function>", "the function's name")
      .argument("[version]", "the version to make active (default: the one before the active version)"),
    { url: true },
  )
    .addHelpText("after", "\nExamples:\n  $ ferrite-wasm rollback validate\n  $ ferrite-wasm rollback validate 3")
    .action(
      action<RemoteOptions>(async ([name, version], opts, out) => {
        const fn = String(name);
        const active = await withServer(opts, async (client) => {
          const args = version === undefined ? [fn] : [fn, String(version)];
          const n = (await send(client, "WASM.ROLLBACK", args)) as number;
          const list = JSON.parse((await send(client, "WASM.VERSIONS", [fn])) as string) as Listed[];
          return list.find((v) => v.version === n)!;
        });
        if (out.json) out.emit({ function: fn, active });
        else out.line(`${out.sym.ok} ${out.c.bold(fn)} now serves v${active.version} ${out.c.dim(`(sha256 ${active.sha256.slice(0, 12)}, deployed ${active.deployed_at})`)}`);
      }),
    );
}
