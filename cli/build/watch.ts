// Watches a project for edits and calls back once per burst of changes. chokidar, not raw
// fs.watch: an editor that saves by writing a temporary file and renaming it over the source
// (sed -i, JetBrains "safe write", vim's backupcopy=no) replaces the file, and a watch held on the
// old file would never fire again. Only sources the languages build and the manifest count;
// build output, node_modules and dotfolders are ignored, so writing build/ never triggers a build.
import { existsSync, type Stats } from "node:fs";
import path from "node:path";
import { watch } from "chokidar";
import { LANGUAGES } from "./languages.js";
import { MANIFEST_FILE } from "../project/manifest.js";

export interface Watcher {
  /** Resolves once every folder is watched: an edit after this is seen. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Editors save in several steps; wait this long after the last event before rebuilding. */
const SETTLE_MS = 120;

const WATCHED = [MANIFEST_FILE, ...new Set(LANGUAGES.flatMap((l) => l.watches))];

/** True for files whose change may change a build. */
function relevant(file: string): boolean {
  const name = path.basename(file);
  return WATCHED.some((w) => (w.startsWith(".") ? name.endsWith(w) : name === w));
}

export function watchProject(root: string, outDir: string, onChange: (files: string[]) => void): Watcher {
  let timer: NodeJS.Timeout | null = null;
  const changed = new Set<string>();
  const relOut = path.relative(root, outDir);
  // cargo's output folder (target/ beside a Cargo.toml): thousands of files no build reads.
  const crates = new Map<string, boolean>();
  const isCrate = (dir: string[]): boolean => {
    const key = dir.join(path.sep);
    let crate = crates.get(key);
    if (crate === undefined) crates.set(key, (crate = existsSync(path.join(root, key, "Cargo.toml"))));
    return crate;
  };
  const skipped = (abs: string, stats?: Stats): boolean => {
    const rel = path.relative(root, abs);
    if (rel === "" || rel.startsWith("..")) return false;
    const parts = rel.split(path.sep);
    if (parts.some((p) => p === "node_modules" || p.startsWith("."))) return true;
    if (parts.some((p, i) => p === "target" && isCrate(parts.slice(0, i)))) return true;
    if (relOut && (rel === relOut || rel.startsWith(relOut + path.sep))) return true;
    return stats?.isFile() === true && !relevant(rel);
  };
  const watcher = watch(root, { ignoreInitial: true, ignored: skipped, atomic: true });
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  watcher.on("all", (event, abs) => {
    if (event !== "add" && event !== "change" && event !== "unlink") return;
    const file = path.relative(root, abs);
    if (skipped(abs) || !relevant(file)) return;
    changed.add(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const files = [...changed];
      changed.clear();
      onChange(files);
    }, SETTLE_MS);
  });
  // A watch error (a folder removed mid-scan) must not end the session; the next save is still seen.
  watcher.on("error", () => {});
  return {
    ready,
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
