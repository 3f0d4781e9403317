// `ferrite-wasm versions <fn>` and `ferrite-wasm rollback <fn> [version]`: the deploy history a
// server keeps per function (WASM.VERSIONS, WASM.ROLLBACK; docs/commands.md).
import { Command } from "commander";
import { FerriteReplyError, type FerriteClient } from "../../server/client.js";
import type { VersionRecord } from "../../server/index.js";
import { size } from "../shared/print.js";
import { action } from "../program.js";
import { withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

type Listed = VersionRecord & { active: boolean };

/** A WASM.* command the typed client has no method for, with its errors as the client reports them. */
async function send(client: FerriteClient, command: string, args: string[]): Promise<unknown> {
  try {
    return await client.redis.call(command, ...args);
  } catch (e) {
    if ((e as Error)?.name === "ReplyError") throw new FerriteReplyError((e as Error).message, command);
    throw e;
  }
}

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
