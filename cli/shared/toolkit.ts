// The toolkit's own folder and what a project borrows from it: the SDK, asconfig.json, and the
// runtime/testing modules its tests import. Found from this file, so it works from the sources,
// from the esbuild bundle (dist/cli.js) and from an installed package alike.
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface PackageJson {
  name?: string;
  version?: string;
  exports?: Record<string, string | Record<string, string>>;
}

let root: string | undefined;
let pkg: PackageJson | undefined;

/** The ferrite-wasm package folder (holds package.json, asconfig.json, sdk/, templates/). */
export function toolkitRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const found = readPackage(dir);
    if (found?.name === "ferrite-wasm") {
      pkg = found;
      return (root = dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`ferrite-wasm cannot find its own package.json above ${fileURLToPath(import.meta.url)}; reinstall the toolkit`);
    dir = parent;
  }
}

function readPackage(dir: string): PackageJson | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
  } catch {
    return null;
  }
}

function toolkitPackage(): PackageJson {
  toolkitRoot();
  return pkg!;
}

export function toolkitVersion(): string {
  return toolkitPackage().version ?? "0.0.0";
}

/**
 * The file behind one of the package's exports ("./runtime", "./testing", "./project"), read from
 * its exports map so a project's tests load exactly what `import "ferrite-wasm/..."` would.
 */
export function toolkitExport(subpath: string): string {
  const entry = toolkitPackage().exports?.[subpath];
  const target = typeof entry === "string" ? entry : entry?.import ?? entry?.default;
  if (!target) throw new Error(`ferrite-wasm's package.json has no export "${subpath}"; reinstall the toolkit`);
  return path.join(toolkitRoot(), target);
}

/** Folder holding the project templates. */
export function templatesDir(): string {
  return path.join(toolkitRoot(), "templates");
}

/** True when `ferrite-wasm` on PATH is this toolkit (a global install, or a PATH that includes its bin). */
export function onPath(env: NodeJS.ProcessEnv = process.env): boolean {
  const bin = path.join(toolkitRoot(), "dist", "cli.js");
  let self: string;
  try {
    self = realpathSync(bin);
  } catch {
    return false;
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    try {
      if (realpathSync(path.join(dir, "ferrite-wasm")) === self) return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}
