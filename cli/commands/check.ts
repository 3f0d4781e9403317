// `ferrite-wasm check <file.wasm>`: the ABI v1 report for any module, from any language.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { CliError, Reported } from "../shared/errors.js";
import { withOptions, type SharedOptions } from "../shared/options.js";
import { action } from "../program.js";

/** Relative when inside the working folder, absolute otherwise. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

interface CheckOptions extends SharedOptions {
  name?: string;
}

export function checkCommand(): Command {
  const cmd = new Command("check")
    .description("check any .wasm module against ABI v1 (from any language)")
    .argument("<file>", "the module (.wasm), built by any compiler")
    .option("--name <name>", "the function name it would be loaded under (picks the entry); default: the file name");
  return withOptions(cmd, {
    entry: true,
    capabilities: "capabilities it would be granted, e.g. read,write: warns on unused, fails on missing",
    memory: "memory limit it would run under, e.g. 10MB",
    timeout: "timeout it would run under, in milliseconds",
  })
    .addHelpText(
      "after",
      `
Examples:
  $ ferrite-wasm check build/validate.wasm
  $ ferrite-wasm check target/wasm32-unknown-unknown/release/plugin.wasm --name validate --capabilities read,log
  $ ferrite-wasm check module.wasm --json`,
    )
    .action(
      action<CheckOptions>(async ([file], opts, out) => {
        const target = path.resolve(String(file));
        const bytes = await readFile(target).catch(() => {
          throw new CliError("ERR_FILE", `cannot read ${target}`, "check the path; build the module first if it does not exist yet");
        });
        const { analyzeModule } = await import("../build/report.js");
        const name = opts.name ?? path.basename(target).replace(/\.wasm$/i, "");
        const report = await analyzeModule(new Uint8Array(bytes), {
          name,
          entry: opts.entry,
          capabilities: opts.capabilities,
          grantSource: "--capabilities",
          memory: opts.memory,
          timeoutMs: opts.timeout,
          entryHint: "pass --name <function> (the name it will be loaded under) or --entry <export>",
        });
        if (out.json) {
          out.emit({ file: target, ...report });
        } else {
          const { reportLines } = await import("../build/report-text.js");
          for (const line of reportLines(report, { title: shortPath(target), detail: `as '${name}'` }, out)) out.line(line);
        }
        if (!report.ok) throw new Reported(1);
      }),
    );
}
