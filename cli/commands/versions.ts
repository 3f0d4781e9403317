// `ferrite-wasm versions <fn>`: the deploy history a server keeps per function (WASM.VERSIONS;
// docs/commands.md). `rollback` (rollback.ts) switches between them.
import { Command } from "commander";
import type { VersionRecord } from "../../server/index.js";
import { size } from "../shared/print.js";
import { action } from "../program.js";
import { send, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

/** A WASM.VERSIONS entry. */
export type Listed = VersionRecord & { active: boolean };

export function versionsCommand(): Command {
  return withOptions(
    new Command("versions").description("list a function's kept versions on the server (WASM.VERSIONS)").argument("<function>", "the function's name"),
    { url: true },
  )
    .addHelpText("after", "\nThe server keeps the last 10 deploys of each function.\n\nExamples:\n  $ ferrite-wasm versions validate\n  $ ferrite-wasm versions validate --json")
    .action(
      action<RemoteOptions>(async ([name], opts, out) => {
        const list = await withServer(opts, async (client) => JSON.parse((await send(client, "WASM.VERSIONS", [String(name)])) as string) as Listed[]);
        if (out.json) {
          out.emit({ function: name, versions: list });
          return;
        }
        const { c } = out;
        out.line(c.bold(String(name)));
        for (const v of list) {
          const mark = v.active ? c.green("* active") : "";
          const settings = `${v.capabilities.join(",") || "none"} · ${size(v.memory_limit_bytes)} · ${v.timeout_ms} ms`;
          out.line(`  ${`v${v.version}`.padEnd(5)} ${v.deployed_at}  ${v.sha256.slice(0, 12)}  ${size(v.size_bytes).padStart(8)}  ${v.source.padEnd(6)} ${c.dim(settings)} ${mark}`);
        }
      }),
    );
}
