// `ferrite-wasm test`: rebuild what changed, then run the project's vitest tests on the simulator.
// vitest and the runtime come from the toolkit, so a project needs nothing installed.
import { Command } from "commander";
import { CliError, Reported } from "../shared/errors.js";
import { loadManifest } from "../project/manifest.js";
import { duration } from "../shared/print.js";
import { action } from "../program.js";

interface TestCliOptions {
  json?: boolean;
  build?: boolean;
}

export function testCommand(): Command {
  return new Command("test")
    .description("build what changed, then run the project's tests")
    .argument("[filters...]", "only test files whose path contains one of these")
    .option("--no-build", "run the tests against the modules already in build/")
    .addHelpText(
      "after",
      `
Tests import the simulator as "ferrite-wasm/runtime", helpers (fixed clock, seeded
random) as "ferrite-wasm/testing", and the project's functions, loaded with the
settings in ferrite.toml, through loadProject() from "ferrite-wasm/project".

Examples:
  $ ferrite-wasm test
  $ ferrite-wasm test validate
  $ ferrite-wasm test --json`,
    )
    .action(
      action<TestCliOptions>(async ([filters], opts, out) => {
        const manifest = loadManifest();
        if (opts.build !== false) {
          const { ensureBuilt } = await import("../build/ensure-built.js");
          await ensureBuilt(manifest, manifest.functions, out);
        }
        const { runTests } = await import("../project/vitest.js");
        const summary = await runTests(manifest, { filters: filters as string[], quiet: out.json });
        if (out.json) out.emit(summary);
        else if (summary.files === 0) {
          throw new CliError("ERR_TESTS", `no test files found in ${manifest.root}`, "add tests named *.test.ts (the templates keep them in test/)");
        } else {
          const { c } = out;
          const counts = `${summary.passed} passed${summary.failed ? `, ${summary.failed} failed` : ""}${summary.skipped ? `, ${summary.skipped} skipped` : ""}`;
          out.line(summary.ok ? c.green(`Tests ${counts} in ${duration(summary.durationMs)}.`) : c.red(`Tests ${counts}${summary.errors.length ? `, ${summary.errors.length} errors` : ""}.`));
        }
        if (!summary.ok) throw new Reported(1);
      }),
    );
}
