// Runs a project's vitest tests in this process (vitest/node), with the toolkit supplying what a
// project would otherwise install: vitest itself, and aliases so `ferrite-wasm/runtime`,
// `ferrite-wasm/testing` and `ferrite-wasm/project` resolve to this toolkit. A created project
// needs no node_modules and no registry to run its tests.
import path from "node:path";
import type { Reporter, TestCase, TestModule, Vitest } from "vitest/node";
import type { Manifest } from "./manifest.js";
import { colorEnabled } from "../shared/print.js";
import { toolkitExport } from "../shared/toolkit.js";

export interface TestRunOptions {
  /** Test file filters, as `vitest run <filters>` takes them. */
  filters?: string[];
  /** Collect results silently (for --json) instead of vitest's default reporter. */
  quiet?: boolean;
}

export interface TestSummary {
  ok: boolean;
  files: number;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
  failures: { file: string; test: string; message: string }[];
  /** Errors outside any test (a file that does not load, an unhandled rejection). */
  errors: string[];
}

/** The package exports a test may import, mapped to the toolkit's files. */
export function toolkitAliases(): { find: RegExp; replacement: string }[] {
  return ["./runtime", "./testing", "./project"].map((sub) => ({
    find: new RegExp(`^ferrite-wasm\\/${sub.slice(2)}$`),
    replacement: toolkitExport(sub),
  }));
}

export async function runTests(manifest: Manifest, options: TestRunOptions = {}): Promise<TestSummary> {
  // vitest colours its output even when piped; it reads NO_COLOR when it is first imported.
  if (options.quiet || !colorEnabled(process.stdout)) process.env.NO_COLOR ??= "1";
  const { startVitest } = await import("vitest/node");
  const started = performance.now();
  const outDir = path.relative(manifest.root, manifest.outDir) || "build";
  const silent: Reporter = {};
  let vitest: Vitest | undefined;
  try {
    vitest = await startVitest(
      "test",
      options.filters ?? [],
      {
        root: manifest.root,
        config: false,
        watch: false,
        reporters: options.quiet ? [silent] : ["default"],
        exclude: ["**/node_modules/**", "**/.git/**", `${outDir}/**`],
        // vitest's 5 s / 10 s defaults are for plain JS; loadProject prepares each module (binaryen
        // instrumentation), which on a busy machine takes longer the first time. These catch a hang.
        testTimeout: 60_000,
        hookTimeout: 120_000,
      },
      {
        resolve: { alias: toolkitAliases() },
        // Vite's cache would otherwise create node_modules/.vite inside the project.
        cacheDir: path.join(manifest.outDir, ".vite"),
        logLevel: options.quiet ? "silent" : "warn",
      },
    );
    return summarize(vitest, performance.now() - started);
  } finally {
    await vitest?.close();
  }
}

function summarize(vitest: Vitest, durationMs: number): TestSummary {
  const modules: readonly TestModule[] = vitest.state.getTestModules();
  const summary: TestSummary = { ok: false, files: modules.length, passed: 0, failed: 0, skipped: 0, durationMs, failures: [], errors: [] };
  for (const mod of modules) {
    for (const err of mod.errors()) summary.errors.push(`${path.relative(vitest.config.root, mod.moduleId)}: ${err.message}`);
    for (const test of mod.children.allTests() as Iterable<TestCase>) {
      const state = test.result().state;
      if (state === "passed") summary.passed++;
      else if (state === "failed") {
        summary.failed++;
        summary.failures.push({
          file: path.relative(vitest.config.root, mod.moduleId),
          test: test.fullName,
          message: test.result().errors?.map((e) => e.message).join("\n") ?? "failed",
        });
      } else summary.skipped++;
    }
  }
  for (const err of vitest.state.getUnhandledErrors()) summary.errors.push(String((err as Error)?.message ?? err));
  if (modules.length === 0) summary.errors.push("no test files found (files named *.test.ts or *.spec.ts, outside build/ and node_modules/)");
  summary.ok = summary.files > 0 && summary.failed === 0 && summary.errors.length === 0;
  return summary;
}
