// Watches a project for edits (fs.watch, recursive) and calls back once per burst of changes.
// Only AssemblyScript sources and the manifest count; build output, node_modules and dotfolders
// are ignored, so writing build/ never triggers another build.
import { watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { MANIFEST_FILE } from "../project/manifest.js";

export interface Watcher {
  close(): void;
}

/** Editors save in several steps; wait this long after the last event before rebuilding. */
const SETTLE_MS = 120;

export function watchProject(root: string, outDir: string, onChange: (files: string[]) => void): Watcher {
  let timer: NodeJS.Timeout | null = null;
  const changed = new Set<string>();
  const relOut = path.relative(root, outDir);
  const watcher: FSWatcher = watch(root, { recursive: true }, (_event, name) => {
    if (!name) return;
    const file = name.toString();
    const parts = file.split(path.sep);
    if (parts.some((p) => p === "node_modules" || p.startsWith("."))) return;
    if (relOut && (file === relOut || file.startsWith(relOut + path.sep))) return;
    if (!file.endsWith(".ts") && path.basename(file) !== MANIFEST_FILE) return;
    changed.add(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const files = [...changed];
      changed.clear();
      onChange(files);
    }, SETTLE_MS);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
