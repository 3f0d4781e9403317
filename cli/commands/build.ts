// `ferrite-wasm build`: compile every function in ferrite.toml, then check each module against
// ABI v1 and against the capabilities the manifest grants.
import path from "node:path";
import { Command } from "commander";
import type { FunctionBuild } from "../build/builder.js";
import { Reported } from "../shared/errors.js";
import { loadManifest, selectFunctions, type Manifest } from "../project/manifest.js";
import { duration, type Output } from "../shared/print.js";
import { action, printError } from "../program.js";

interface BuildCliOptions {
  json?: boolean;
  debug?: boolean;
  watch?: boolean;
  force?: boolean;
}

export function buildCommand(): Command {
  return new Command("build")
    .description("compile the functions in ferrite.toml and check them against ABI v1")
    .argument("[functions...]", "functions to build (default: all in ferrite.toml)")
    .option("--debug", "unoptimized build that keeps names (asconfig's debug target)")
    .option("--watch", "rebuild whenever a source file or ferrite.toml changes")
    .option("--force", "compile even when a module is up to date")
    .addHelpText(
      "after",
      `
A function fails the build when it does not compile, breaks ABI v1, or needs a
capability ferrite.toml does not grant; a granted capability it never uses is a warning.

Examples:
  $ ferrite-wasm build
  $ ferrite-wasm build validate --debug
  $ ferrite-wasm build --watch
  $ ferrite-wasm build --json`,
    )
    .action(
      action<BuildCliOptions>(async ([names], opts, out) => {
        const manifest = loadManifest();
        const selected = names as string[];
        if (opts.watch) await watchLoop(manifest, selected, opts, out);
        const results = await runBuild(manifest, selected, opts, out);
        if (!results.every((r) => r.ok)) throw new Reported(1);
      }),
    );
}

/** One build of the selected functions, printed; true when all succeeded. */
async function runBuild(manifest: Manifest, names: string[], opts: BuildCliOptions, out: Output, watching = false): Promise<FunctionBuild[]> {
  const { buildFunctions } = await import("../build/builder.js");
  const fns = selectFunctions(manifest, names);
  const started = performance.now();
  const progress = out.progress("Compiling…");
  let results: FunctionBuild[];
  try {
    results = await buildFunctions(manifest, fns, {
      debug: opts.debug,
      force: opts.force,
      onStart: (fn) => progress.update(`Compiling ${fn.name} (${fn.source})…`),
    });
  } finally {
    progress.stop();
  }
  if (out.json) {
    const doc = { ok: results.every((r) => r.ok), durationMs: performance.now() - started, functions: results.map((r) => toJson(r, manifest)) };
    if (watching) process.stdout.write(JSON.stringify(doc) + "\n");
    else out.emit(doc);
    return results;
  }
  await printResults(results, manifest, out);
  const failed = results.filter((r) => !r.ok).length;
  const total = duration(performance.now() - started);
  out.line(
    failed === 0
      ? out.c.green(`Built ${results.length} function${results.length === 1 ? "" : "s"} in ${total}.`)
      : out.c.red(`${failed} of ${results.length} function${results.length === 1 ? "" : "s"} failed (${total}).`),
  );
  return results;
}

async function printResults(results: FunctionBuild[], manifest: Manifest, out: Output): Promise<void> {
  const { reportLines } = await import("../build/report-text.js");
  const { diagnosticLines } = await import("../build/builder.js");
  const { c, sym } = out;
  for (const r of results) {
    const where = path.relative(manifest.root, r.wasmPath);
    if (!r.report) {
      out.line(`${sym.fail} ${c.bold(r.name)}  ${c.red(`${r.source} failed to compile`)}`);
      for (const d of r.diagnostics.filter((d) => d.category === "error")) out.line(`    ${c.red(diagnosticLines([d])[0])}`);
      continue;
    }
    const detail = r.compiled ? `${where} · compiled in ${duration(r.durationMs)}` : `${where} · up to date`;
    for (const line of reportLines(r.report, { title: r.name, detail }, out)) out.line(line);
    for (const d of r.diagnostics.filter((d) => d.category === "warning")) out.line(`    ${sym.warn} ${c.yellow(diagnosticLines([d])[0])}`);
  }
}

function toJson(r: FunctionBuild, manifest: Manifest) {
  return {
    name: r.name,
    source: r.source,
    ok: r.ok,
    compiled: r.compiled,
    durationMs: r.durationMs,
    wasm: path.relative(manifest.root, r.wasmPath),
    sourceMap: path.relative(manifest.root, r.mapPath),
    diagnostics: r.diagnostics,
    report: r.report,
  };
}

/** Builds, then rebuilds on every change until interrupted; a failed build waits for the next edit. */
async function watchLoop(manifest: Manifest, names: string[], opts: BuildCliOptions, out: Output): Promise<never> {
  const { watchProject } = await import("../build/watch.js");
  let current = manifest;
  const build = async (force?: boolean): Promise<FunctionBuild[]> => {
    let results: FunctionBuild[] = [];
    try {
      current = loadManifest(current.root);
      results = await runBuild(current, names, { ...opts, force }, out, true);
    } catch (e) {
      printError(e, out);
    }
    out.note(out.c.dim(`Watching ${current.root} for changes (Ctrl-C to stop)…`));
    return results;
  };
  // Watch before the first build starts, so an edit made while it runs is not missed.
  let running: Promise<unknown> = Promise.resolve();
  const watcher = watchProject(current.root, current.outDir, (files) => {
    running = running.then(() => {
      out.note(out.c.dim(`\n${files.join(", ")} changed; rebuilding…`));
      return build(false);
    });
  });
  await watcher.ready;
  running = build(opts.force).then(async (results) => {
    if (results.length > 0 && results.every((r) => !r.compiled)) await (await import("../build/builder.js")).warmUp(current);
  });
  return new Promise<never>(() => {});
}
