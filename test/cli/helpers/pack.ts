// The toolkit as a user gets it: `npm pack`, then installed into a project from that tarball,
// offline. The project's lockfile pins every dependency to what this repository's own lockfile
// resolved, so `npm ci --offline` finds each one in the npm cache that `npm ci` here filled.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { cliEnv, ROOT } from "./cli.js";

const run = promisify(execFile);

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** Packs this repository into `dest` as it stands (dist/ is already built); resolves to the tarball's path. */
export async function packToolkit(dest: string): Promise<string> {
  // --ignore-scripts: prepack would rebuild dist/ under the other test files that run it.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dest], { cwd: ROOT, env: cliEnv(), maxBuffer: 16 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
  return path.join(dest, filename);
}

/** The lock entry path a package named `name` resolves to from `from`, as Node resolves it. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return null;
    const at = base.lastIndexOf("/node_modules/");
    base = at < 0 ? "" : base.slice(0, at);
  }
}

/**
 * Writes package-lock.json for the project in `dir` (its package.json depends on ferrite-wasm by a
 * semver range): ferrite-wasm from `tarball`, and its dependencies as this repository locked them.
 */
export async function lockProjectToTarball(dir: string, tarball: string): Promise<void> {
  const repoLock = JSON.parse(await readFile(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const repoPkg = repoLock.packages[""];
  const project = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { name: string; version: string; devDependencies: Record<string, string> };
  const packed = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown> & { version: string };

  // Every package the toolkit's dependencies pull in, by its path in the repository's lock.
  const wanted = new Set<string>();
  const visit = (from: string, deps: Record<string, string> | undefined, optionalPeers: Record<string, { optional?: boolean }> = {}) => {
    for (const name of Object.keys(deps ?? {})) {
      if (optionalPeers[name]?.optional) continue;
      const at = resolveIn(repoLock.packages, from, name);
      if (!at || wanted.has(at)) continue;
      wanted.add(at);
      const e = repoLock.packages[at];
      visit(at, { ...e.dependencies, ...e.optionalDependencies }, {});
      visit(at, e.peerDependencies, e.peerDependenciesMeta);
    }
  };
  visit("", { ...repoPkg.dependencies, ...repoPkg.optionalDependencies });

  const integrity = `sha512-${createHash("sha512").update(await readFile(tarball)).digest("base64")}`;
  const packages: Record<string, LockEntry> = {
    "": { name: project.name, version: project.version, devDependencies: project.devDependencies },
    "node_modules/ferrite-wasm": {
      version: packed.version,
      resolved: `file:${path.relative(dir, tarball).split(path.sep).join("/")}`,
      integrity,
      dev: true,
      license: packed.license,
      dependencies: packed.dependencies as Record<string, string>,
      bin: packed.bin,
      engines: packed.engines,
    },
  };
  // The repository's lock leaves out registry URLs; without them npm would need each package's
  // metadata, which the cache may not hold. The tarball URL names the exact file npm ci cached.
  const { stdout } = await run("npm", ["config", "get", "registry"], { env: cliEnv() });
  const registry = stdout.trim().replace(/\/?$/, "/");
  for (const at of [...wanted].sort()) {
    const { dev: _dev, devOptional: _devOptional, ...entry } = repoLock.packages[at];
    const name = at.slice(at.lastIndexOf("node_modules/") + "node_modules/".length);
    const resolved = entry.resolved ?? `${registry}${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    packages[at] = { ...entry, resolved, dev: true };
  }
  const lock = { name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages };
  await writeFile(path.join(dir, "package-lock.json"), JSON.stringify(lock, null, 2) + "\n");
}
