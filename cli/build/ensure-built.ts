// For `test` and `call`: rebuild the functions whose sources changed since the last build, and
// stop with the build's own report when one fails (a test run on a stale module would mislead).
import path from "node:path";
import { buildFunctions, diagnosticLines } from "./builder.js";
import { CliError } from "../shared/errors.js";
import type { FunctionSpec, Manifest } from "../project/manifest.js";
import { duration, type Output } from "../shared/print.js";
import { problemLines } from "./report-text.js";

export async function ensureBuilt(manifest: Manifest, fns: readonly FunctionSpec[], out: Output): Promise<void> {
  const progress = out.progress("Checking builds…");
  let results;
  try {
    results = await buildFunctions(manifest, fns, { onStart: (fn) => progress.update(`Building ${fn.name} if needed…`) });
  } finally {
    progress.stop();
  }
  for (const r of results) {
    if (r.compiled && r.ok) out.note(out.c.dim(`Built ${r.name} (${path.relative(manifest.root, r.wasmPath)}) in ${duration(r.durationMs)}.`));
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return;
  const details: string[] = [];
  for (const r of failed) {
    details.push(`${r.name}:`);
    if (!r.report) details.push(...diagnosticLines(r.diagnostics.filter((d) => d.category === "error")).map((l) => `  ${l}`));
    else for (const p of r.report.problems.filter((p) => p.level === "error")) details.push(...problemLines(p, out));
  }
  throw new CliError(
    "ERR_COMPILE",
    `${failed.map((r) => r.name).join(", ")} did not build`,
    "fix the problems above, then run again (ferrite-wasm build shows the full report)",
    details,
  );
}
