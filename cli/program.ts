// The commander program: name, version, shared flags, and one error path for every command.
// Commands are defined in cli/commands/, one file each, and listed in cli/index.ts; what they
// use lives by concern in cli/build, cli/project, cli/scaffold, cli/remote and cli/shared.
import { Command, CommanderError } from "commander";
import { CliError, Reported } from "./shared/errors.js";
import { createOutput, type Output } from "./shared/print.js";
import { toolkitVersion } from "./shared/toolkit.js";

/** A command's file exports a factory; the program adds the shared flags and error handling. */
export type CommandFactory = () => Command;

/**
 * Wraps a command's handler: builds its Output from `--json`, turns a thrown error into a clear
 * message and exit code 1, and passes the handler's exit code on. The handler receives the
 * positional arguments, then the options, then the Output.
 */
export function action<Opts extends { json?: boolean }>(
  handler: (args: unknown[], opts: Opts, out: Output) => Promise<number | void>,
): (...raw: unknown[]) => Promise<void> {
  return async (...raw) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.opts() as Opts;
    const out = createOutput({ json: opts.json });
    try {
      process.exitCode = (await handler(raw.slice(0, -2), opts, out)) ?? 0;
    } catch (e) {
      process.exitCode = e instanceof Reported ? e.exitCode : 1;
      if (!(e instanceof Reported)) printError(e, out);
    }
  };
}

/** Adds `--json` to a command; every command has it. */
export function withJson(cmd: Command): Command {
  return cmd.option("--json", "print one JSON document on stdout instead of text");
}

export function printError(e: unknown, out: Output): void {
  const debug = process.env.FERRITE_DEBUG === "1";
  const known = e instanceof CliError || isFerriteError(e);
  const message = e instanceof Error ? e.message : String(e);
  const fix = e instanceof CliError ? e.fix : null;
  const details = e instanceof CliError ? e.details : [];
  const code = e instanceof CliError || isFerriteError(e) ? (e as { code: string }).code : "ERR_INTERNAL";
  if (out.json) {
    out.emit({ ok: false, error: { code, message, fix, details } });
  } else {
    const { c } = out;
    out.note(`${c.red(c.bold("error"))} ${message}`);
    for (const d of details) out.note(`  ${d}`);
    if (fix) out.note(`${c.cyan("fix")}   ${fix}`);
    if (!known && !debug) out.note(c.dim("This looks like a bug in ferrite-wasm; run again with FERRITE_DEBUG=1 to see the stack trace."));
  }
  if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + "\n");
}

function isFerriteError(e: unknown): boolean {
  return e instanceof Error && e.name.startsWith("FerriteError") && "code" in e;
}

export function createProgram(commands: readonly CommandFactory[]): Command {
  const program = new Command("ferrite-wasm")
    .description("Write, build, check, run, test, serve and deploy WebAssembly functions for Ferrite")
    .version(toolkitVersion(), "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      "after",
      `
Examples:
  $ ferrite-wasm new my-fn --template validate
  $ cd my-fn && ferrite-wasm build && ferrite-wasm test
  $ ferrite-wasm call validate '{"email": "ada@example.com"}'
  $ ferrite-wasm check build/validate.wasm
  $ ferrite-wasm serve --port 6390 &
  $ ferrite-wasm deploy --url redis://127.0.0.1:6390
  $ ferrite-wasm call --url redis://127.0.0.1:6390 validate '{"email": "ada@example.com"}'
  $ ferrite-wasm logs --follow --url redis://127.0.0.1:6390
  $ ferrite-wasm replay validate --url redis://127.0.0.1:6390 --save test/regressions/validate.test.ts

Set FERRITE_DEBUG=1 to see stack traces.`,
    );
  program.exitOverride();
  for (const factory of commands) {
    // addCommand does not pass settings down, so each command gets them itself.
    program.addCommand(withJson(factory()).exitOverride().showHelpAfterError("(run with --help for usage)"));
  }
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(commands: readonly CommandFactory[], argv = process.argv): Promise<number> {
  const program = createProgram(commands);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed it
    printError(e, createOutput());
    return 1;
  }
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}
