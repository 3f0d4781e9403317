// `ferrite-wasm check <file.wasm>`: the ABI v1 report for any module, from any language.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { CliError, Reported } from "../shared/errors.js";
import { capabilityList, memoryLimit, timeoutMs } from "../shared/options.js";
import { action } from "../program.js";
import type { Capability } from "../../runtime-sim/options.js";

/** Relative when inside the working folder, absolute otherwise. */
function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

interface CheckOptions {
  json?: boolean;
  name?: string;
  entry?: string;
  capabilities?: (Capability | "all")[];
  memory?: string;
  timeout?: number;
}

export function checkCommand(): Command {
  return new Command("check")
    .description("check any .wasm module against ABI v1 (from any language)")
    .argument("<file>", "the module (.wasm), built by any compiler")
    .option("--name <name>", "the function name it would be loaded under (picks the entry); default: the file name")
    .option("--entry <export>", "the export to run, when it is not named like the function")
    .option("--capabilities <list>", "capabilities it would be granted, e.g. read,write: warns on unused, fails on missing", capabilityList)
    .option("--memory <size>", "memory limit it would run under, e.g. 10MB", memoryLimit)
    .option("--timeout <ms>", "timeout it would run under, in milliseconds", timeoutMs)
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
