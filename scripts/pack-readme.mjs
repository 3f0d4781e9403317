// `npm pack` / `npm publish` ship README.md. The repository's README opens with the contributor's
// quick start (npm run demo, npm test); an installed package's user needs the project quick start.
// `prepack` swaps in a README whose Quick start is the "Using ferrite-wasm in a project" section;
// `postpack` puts the repository's back. Usage: node scripts/pack-readme.mjs swap|restore
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const README = path.join(ROOT, "README.md");
const KEPT = path.join(ROOT, "README.repo.md");

/** The section that starts with `heading`, up to the next "## " heading. */
function section(text, heading) {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no '${heading}' section; scripts/pack-readme.mjs needs it`);
  const end = text.indexOf("\n## ", start + 1);
  return [start + 1, end < 0 ? text.length : end + 1];
}

/** The packed README: the repository's, with the installed user's section as its Quick start. */
export function packedReadme(text) {
  const [qs, qsEnd] = section(text, "## Quick start");
  const [use, useEnd] = section(text, "## Using ferrite-wasm in a project");
  const using = text.slice(use, useEnd).replace("## Using ferrite-wasm in a project", "## Quick start");
  const rest = text.slice(0, use) + text.slice(useEnd);
  return rest.slice(0, qs) + using + rest.slice(qsEnd);
}

// Run as a script (prepack/postpack), not when a test imports packedReadme.
const mode = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) ? process.argv[2] ?? "" : undefined;
if (mode === "swap") {
  if (existsSync(KEPT)) throw new Error("README.repo.md exists: an earlier pack did not finish; run `node scripts/pack-readme.mjs restore`");
  const packed = packedReadme(await readFile(README, "utf8"));
  await rename(README, KEPT);
  await writeFile(README, packed);
} else if (mode === "restore") {
  if (existsSync(KEPT)) await rename(KEPT, README);
} else if (mode !== undefined) {
  throw new Error("usage: node scripts/pack-readme.mjs swap|restore");
}
