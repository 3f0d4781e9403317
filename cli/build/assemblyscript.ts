// AssemblyScript in the build's language table: asc in-process with the toolkit's asconfig.json
// and SDK. The inputs of a build are the project files its source map lists.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { CompileRequest, Compiled, LanguageBuilder } from "./languages.js";
import { toolkitRoot, toolkitVersion } from "../shared/toolkit.js";

let fingerprint: string | undefined;

export const assemblyscript: LanguageBuilder = {
  /** Changes whenever the SDK, asconfig.json, the transform or the toolkit's version changes. */
  fingerprint() {
    if (fingerprint) return fingerprint;
    const root = toolkitRoot();
    const hash = createHash("sha256").update(toolkitVersion());
    const sdk = readdirSync(path.join(root, "sdk")).filter((f) => /\.(ts|mjs)$/.test(f)).sort().map((f) => `sdk/${f}`);
    for (const file of ["asconfig.json", ...sdk]) {
      try {
        hash.update(file).update(readFileSync(path.join(root, file)));
      } catch {
        // a folder or an unreadable file: not an input
      }
    }
    return (fingerprint = hash.digest("hex"));
  },

  async compile({ fn, manifest, debug }: CompileRequest): Promise<Compiled> {
    const { compile } = await import("./asc.js"); // the compiler (and binaryen) only when compiling: a fresh build reads its stamp only
    const result = await compile({
      entry: fn.sourcePath,
      cwd: manifest.root,
      debug,
      optimize: debug ? undefined : manifest.optimize,
      sourceMap: true,
    });
    const sources = result.sourceMap ? (JSON.parse(result.sourceMap) as { sources: string[] }).sources : [fn.source];
    return {
      ok: result.ok && result.wasm !== undefined,
      wasm: result.wasm,
      sourceMap: result.sourceMap,
      // Standard library and SDK files are covered by the fingerprint.
      inputs: sources.filter((s) => !s.startsWith("~lib/")),
      diagnostics: result.diagnostics,
      durationMs: result.durationMs,
    };
  },

  async warmUp({ fn, manifest }: CompileRequest): Promise<void> {
    const { compile } = await import("./asc.js");
    await compile({ entry: fn.sourcePath, cwd: manifest.root, optimize: manifest.optimize, sourceMap: false });
  },
};
