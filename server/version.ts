// The package version, found by walking up to ferrite-wasm's package.json (works from the source
// tree and from a bundle next to it).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null = null;

export function serverVersion(): string {
  if (cached !== null) return cached;
  cached = "0.0.0";
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      if (pkg.name === "ferrite-wasm") {
        cached = String(pkg.version);
        break;
      }
    } catch {
      // not here; go up
    }
    dir = path.dirname(dir);
  }
  return cached;
}

/** What INFO reports as redis_version: clients that gate features on it expect Redis 7 semantics. */
export const REDIS_COMPAT_VERSION = "7.2.0";
