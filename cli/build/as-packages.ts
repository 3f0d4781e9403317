// Package imports in AssemblyScript sources that asc itself does not resolve:
// - `@ferrite/as-sdk`, the SDK name the specification's example imports: served from the
//   toolkit's sdk/as-sdk.ts (the `ferrite` class), whatever is installed.
// - packages that keep their sources in `assembly/` (or where package.json's `ascMain` says)
//   instead of at the package root, such as `assemblyscript-json`. asc documents this fallback
//   but only looks for `<package>/index.ts`, so `import { JSON } from "assemblyscript-json"`
//   would fail with "File '~lib/assemblyscript-json.ts' not found".
// asc asks for each candidate file by path; these functions map the path it asks for to the
// file that should answer, and leave every other path alone.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** Package name -> file in the toolkit that is its index. */
const BUILT_IN: Record<string, string> = {
  "@ferrite/as-sdk": "sdk/as-sdk.ts",
};

/** AssemblyScript packages the toolkit ships, so a project builds them with nothing installed. */
export const BUNDLED_PACKAGES = ["json-as", "assemblyscript-json"] as const;

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** The file asc should read for `abs`, which asc computed from a package import. */
export function resolvePackageFile(abs: string, toolkitRoot: string): string {
  const at = abs.lastIndexOf(NODE_MODULES);
  if (at < 0) return abs;
  const parts = abs.slice(at + NODE_MODULES.length).split(path.sep);
  const scoped = parts[0].startsWith("@");
  const name = (scoped ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
  const rest = parts.slice(scoped ? 2 : 1).join(path.sep);
  const builtIn = BUILT_IN[name];
  if (builtIn !== undefined) return rest === "index.ts" ? path.join(toolkitRoot, builtIn) : abs;
  if (existsSync(abs)) return abs;
  const packageDir = abs.slice(0, at + NODE_MODULES.length) + name.split("/").join(path.sep);
  const sourceDir = ascSourceDir(packageDir);
  if (sourceDir === null) return abs;
  const candidate = path.join(packageDir, sourceDir, rest);
  return existsSync(candidate) ? candidate : abs;
}

const sourceDirs = new Map<string, string | null>();

/** Where a package keeps its AssemblyScript: ascMain's folder, else "assembly"; null if not a package. */
function ascSourceDir(packageDir: string): string | null {
  let dir = sourceDirs.get(packageDir);
  if (dir !== undefined) return dir;
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { ascMain?: unknown };
    dir = typeof pkg.ascMain === "string" ? path.dirname(pkg.ascMain) : "assembly";
  } catch {
    dir = null;
  }
  sourceDirs.set(packageDir, dir);
  return dir;
}

/** The node_modules folders the bundled packages are installed in, for asc's `--path`. */
export function bundledPackagePaths(toolkitRoot: string): string[] {
  const require = createRequire(path.join(toolkitRoot, "package.json"));
  const dirs = BUNDLED_PACKAGES.map((name) => path.dirname(path.dirname(require.resolve(`${name}/package.json`))));
  return [...new Set(dirs)];
}
