// Bundles the CLI into dist/cli.js (the package's bin) with esbuild, and the build thread `dev`
// compiles on into dist/build-worker.js. Each command loads its heavy parts (the compiler, vitest,
// the runtime) on first use: they are split into dist/chunks/.
// Packages that load files or WebAssembly at run time stay external, resolved from node_modules.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Loaded at run time from node_modules: big, WebAssembly-backed, or resolving their own files. */
const EXTERNAL = ["assemblyscript", "binaryen", "json-as", "vitest", "hdr-histogram-js", "ioredis", "redis-parser", "esbuild", "wabt", "prom-client"];

/** The runtime's sources by content: keys the disk cache of prepared modules (runtime-sim/prepare/location.ts's sourceHash). */
function runtimeCode() {
  const hash = createHash("sha256");
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file, `${rel}${name}/`);
      else if (/\.ts$/.test(name) && !name.endsWith(".d.ts")) hash.update(`${rel}${name}\n`).update(readFileSync(file));
    }
  };
  walk(path.join(root, "runtime-sim"), "");
  return hash.digest("hex");
}
const code = runtimeCode();

// A clean dist/: files of an older layout must not be packed (tsc adds the typed entries after).
await rm(path.join(root, "dist"), { recursive: true, force: true });
await mkdir(path.join(root, "dist"), { recursive: true });
await writeFile(path.join(root, "dist/runtime-code.json"), JSON.stringify({ hash: code }) + "\n"); // for the tsc output (the package)
const result = await build({
  absWorkingDir: root,
  // The build thread (cli/build/worker.ts) and the runtime's prepare worker (runtime-sim/prepare/pool.ts finds it through the define below).
  entryPoints: { cli: "cli/index.ts", "build-worker": "cli/build/worker.ts", "chunks/prepare-worker": "runtime-sim/prepare/worker.ts" },
  define: { FERRITE_PREPARE_WORKER: JSON.stringify("chunks/prepare-worker.js"), FERRITE_RUNTIME_CODE: JSON.stringify(code) },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "bundle",
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  // Bundled CommonJS packages (commander) call require(); ESM output has none, so each file gets one.
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __ferriteRequire } from "node:module";\nconst require = __ferriteRequire(import.meta.url);' },
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});
await chmod(path.join(root, "dist/cli.js"), 0o755);
const bytes = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".js")).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`ferrite-wasm: bundled the CLI into dist/cli.js (${(bytes / 1024).toFixed(0)} KB of JS)`);
