// Where the running runtime's code is: the TypeScript sources (tests, bench), the compiled package
// (dist/runtime-sim), or the CLI bundle (dist/cli.js with dist/chunks). The prepare worker is
// started from there, and the disk cache keys its entries by that code's content.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
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

/** A hash of the runtime's code (a few ms, once per process): a changed runtime trusts no older entry. */
export function runtimeCodeHash(): string {
  if (codeHash !== null) return codeHash;
  const loc = codeLocation();
  const hash = createHash("sha256");
  const add = (dir: string, recurse: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recurse) add(file, true);
      } else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        hash.update(entry.name).update(readFileSync(file));
      }
    }
  };
  if (loc.kind === "bundle") {
    const dist = fileURLToPath(loc.dist);
    add(dist, false);
    add(path.join(dist, "chunks"), false);
  } else add(fileURLToPath(loc.runtimeDir), true);
  return (codeHash = hash.digest("hex"));
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
