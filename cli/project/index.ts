// ferrite-wasm/project: a project's functions loaded into a simulator exactly as ferrite.toml
// declares them (capabilities, memory, timeout, entry) from build/, with their source maps.
// Tests use it so they run each function under the grants it will really have.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRuntime, MemoryStore, type CallArg, type CallOptions, type CallResult, type Runtime, type RuntimeOptions } from "../../runtime-sim/index.js";
import { loadManifest, selectFunctions, type Manifest } from "./manifest.js";

export interface ProjectOptions extends RuntimeOptions {
  /** Load only these functions (default: every function in ferrite.toml). */
  functions?: string[];
}

export interface Project {
  rt: Runtime;
  /** The keyspace the functions read and write (a MemoryStore unless options.store says otherwise). */
  store: MemoryStore;
  manifest: Manifest;
  /** rt.call with string arguments: `await project.call("validate", '{"email": "a@b.c"}')`. */
  call(name: string, ...args: CallArg[]): CallResult;
  /** rt.call as WASM.CALLREAD. */
  callRead(name: string, ...args: CallArg[]): CallResult;
}

/**
 * Loads the project around `dir` (a folder or file URL inside it, e.g. `new URL("..", import.meta.url)`).
 * Throws when a module is not built yet: `ferrite-wasm test` builds before it runs the tests.
 */
export async function loadProject(dir: string | URL = process.cwd(), options: ProjectOptions = {}): Promise<Project> {
  const from = dir instanceof URL || dir.startsWith("file:") ? fileURLToPath(dir) : dir;
  const manifest = loadManifest(from);
  const { functions, ...runtimeOptions } = options;
  const store = (runtimeOptions.store as MemoryStore | undefined) ?? new MemoryStore({ clock: runtimeOptions.clock });
  const rt = createRuntime({ cache: true, ...runtimeOptions, store }); // prepared modules cached on disk (docs/abi.md)
  for (const fn of selectFunctions(manifest, functions ?? [])) {
    const wasm = await readFile(fn.wasmPath).catch(() => {
      throw new Error(`${path.relative(manifest.root, fn.wasmPath)} is missing: run \`ferrite-wasm build\` first (\`ferrite-wasm test\` builds it for you)`);
    });
    await rt.load(fn.name, new Uint8Array(wasm), {
      capabilities: fn.capabilities,
      memory: fn.memory,
      timeoutMs: fn.timeoutMs,
      keys: fn.keys,
      entry: fn.entry,
      sourceMap: await readFile(`${fn.wasmPath}.map`, "utf8").catch(() => undefined),
    });
  }
  const call = (readOnly: boolean) => (name: string, ...args: CallArg[]) => rt.call(name, args, { readOnly } satisfies CallOptions);
  return { rt, store, manifest, call: call(false), callRead: call(true) };
}
