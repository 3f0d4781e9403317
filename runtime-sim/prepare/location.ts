// Where the running runtime's code is: the TypeScript sources (tests, bench), the compiled package
// (dist/runtime-sim), or the CLI bundle (dist/cli.js with dist/chunks). The prepare worker is
// started from there, and the disk cache keys its entries by the runtime code's hash.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** cli/bundle.mjs defines this: where the bundled worker is, relative to dist/. */
declare const FERRITE_PREPARE_WORKER: string | undefined;

export type CodeLocation =
  | { kind: "bundle"; dist: URL; worker: URL }
  | { kind: "source" | "package"; runtimeDir: URL; worker: URL };

export function codeLocation(): CodeLocation {
  if (typeof FERRITE_PREPARE_WORKER === "string") {
    const here = new URL(".", import.meta.url);
    const dist = here.href.endsWith("/chunks/") ? new URL("..", here) : here;
    return { kind: "bundle", dist, worker: new URL(FERRITE_PREPARE_WORKER, dist) };
  }
  const source = import.meta.url.endsWith(".ts");
  return { kind: source ? "source" : "package", runtimeDir: new URL("..", import.meta.url), worker: new URL(source ? "./worker.ts" : "./worker.js", import.meta.url) };
}

let codeHash: string | null = null;

/** cli/bundle.mjs defines this (and writes dist/runtime-code.json for the package): sourceHash() at build time. */
declare const FERRITE_RUNTIME_CODE: string | undefined;

/**
 * A hash of the runtime's TypeScript sources: a changed runtime trusts no older entry, and the CLI
 * bundle, the package and the sources agree when built from the same code (so `ferrite-wasm test`
 * reuses what `ferrite-wasm build` prepared).
 */
export function runtimeCodeHash(): string {
  if (codeHash !== null) return codeHash;
  if (typeof FERRITE_RUNTIME_CODE === "string") return (codeHash = FERRITE_RUNTIME_CODE);
  const loc = codeLocation();
  if (loc.kind === "source") return (codeHash = sourceHash(fileURLToPath(loc.runtimeDir), /\.ts$/));
  const dir = loc.kind === "bundle" ? loc.dist : loc.runtimeDir;
  try {
    const file = loc.kind === "bundle" ? new URL("runtime-code.json", loc.dist) : new URL("../runtime-code.json", loc.runtimeDir);
    return (codeHash = String(JSON.parse(readFileSync(file, "utf8")).hash));
  } catch {
    // built without cli/bundle.mjs: hash the compiled files instead (safe, only never shared)
    return (codeHash = sourceHash(fileURLToPath(dir), /\.js$/));
  }
}

/** sha256 over every matching file below `root` (not .d.ts): its path from root, then its bytes. Same as cli/bundle.mjs's. */
export function sourceHash(root: string, pattern: RegExp): string {
  const hash = createHash("sha256");
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file, `${rel}${name}/`);
      else if (pattern.test(name) && !name.endsWith(".d.ts")) hash.update(`${rel}${name}\n`).update(readFileSync(file));
    }
  };
  walk(root, "");
  return hash.digest("hex");
}

let version: string | null = null;

/** ferrite-wasm's version, from its package.json above this file. */
export function toolkitVersion(): string {
  if (version !== null) return version;
  version = "0.0.0";
  for (let dir = path.dirname(fileURLToPath(import.meta.url)), i = 0; i < 8; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === "ferrite-wasm") return (version = String(pkg.version));
    } catch {
      // not here; go up
    }
  }
  return version;
}
