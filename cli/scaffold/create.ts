// Scaffolding, create-vite style: copy a template folder as it is, rename the dotfiles it stores
// under another name (npm would drop a .gitignore), and substitute only the package name, the
// README title and the version of the toolkit dependency. No template engine.
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { closestMatch } from "leven";
import { CliError } from "../shared/errors.js";
import { findTemplate, TEMPLATES } from "./template-table.js";
import { adaptProject, DEFAULT_LANGUAGE, hasTemplate, LANGUAGES, templateFolder, type TemplateLanguage } from "./languages.js";
import { templatesDir, toolkitVersion } from "../shared/toolkit.js";

/** Stored name in the template -> name in the project. */
const RENAME: Record<string, string> = { _gitignore: ".gitignore" };
/** Never copied: output of trying a template in place. */
const SKIP = new Set(["node_modules", "build", "package-lock.json", ".ferrite-build.json", "target", "Cargo.lock"]);

export interface CreateOptions {
  /** Write into a folder that is not empty. */
  force?: boolean;
  /** The language of the project (default AssemblyScript). */
  lang?: TemplateLanguage;
}

export interface Created {
  dir: string;
  name: string;
  template: string;
  lang: TemplateLanguage;
  /** Files written, relative to dir, sorted. */
  files: string[];
}

export async function createProject(target: string, template: string, options: CreateOptions = {}): Promise<Created> {
  const info = findTemplate(template);
  if (!info) {
    const names = TEMPLATES.map((t) => t.name);
    const guess = closestMatch(template.toLowerCase(), names, { maxDistance: 3 });
    throw new CliError("ERR_TEMPLATE", `there is no template '${template}'${guess ? `; did you mean '${guess}'?` : ""}`, `use one of: ${names.join(", ")}`);
  }
  const lang = options.lang ?? DEFAULT_LANGUAGE;
  if (!hasTemplate(info.name, lang)) {
    const offered = TEMPLATES.filter((t) => hasTemplate(t.name, lang)).map((t) => t.name);
    const elsewhere = LANGUAGES.filter((l) => hasTemplate(info.name, l));
    throw new CliError("ERR_TEMPLATE", `the ${info.name} template has no ${lang} version (it exists in ${elsewhere.join(", ")})`, `for ${lang}, use one of: ${offered.join(", ")}`);
  }
  const dir = path.resolve(target);
  if (existsSync(dir) && (await readdir(dir)).length > 0 && !options.force) {
    throw new CliError("ERR_TARGET_EXISTS", `${dir} exists and is not empty`, "choose a new folder name, or pass --force to write into it");
  }
  const name = packageName(path.basename(dir));
  const files: string[] = [];
  await copyDir(path.join(templatesDir(), templateFolder(info.name, lang)), dir, "", files);
  await rewritePackageJson(dir, name);
  await retitleReadme(dir, name);
  await adaptProject(dir, name, lang);
  return { dir, name, template: info.name, lang, files: files.sort() };
}

/** Files a template produces, relative to the project folder (its listing after renames). */
export async function templateFiles(template: string, lang: TemplateLanguage = DEFAULT_LANGUAGE): Promise<string[]> {
  const files: string[] = [];
  await walk(path.join(templatesDir(), templateFolder(template, lang)), "", files);
  return files.sort();
}

async function walk(src: string, rel: string, files: string[]): Promise<void> {
  for (const entry of await readdir(src, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const out = path.posix.join(rel, RENAME[entry.name] ?? entry.name);
    if (entry.isDirectory()) await walk(path.join(src, entry.name), out, files);
    else files.push(out);
  }
}

async function copyDir(src: string, dest: string, rel: string, files: string[]): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(src, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const outName = RENAME[entry.name] ?? entry.name;
    const from = path.join(src, entry.name);
    const to = path.join(dest, outName);
    if (entry.isDirectory()) await copyDir(from, to, path.posix.join(rel, outName), files);
    else {
      await copyFile(from, to);
      files.push(path.posix.join(rel, outName));
    }
  }
}

/**
 * The name, and this toolkit's version as a semver range: the project installs the same toolkit
 * wherever it is copied or cloned (a path to this folder would break there).
 */
async function rewritePackageJson(dir: string, name: string): Promise<void> {
  const file = path.join(dir, "package.json");
  const pkg = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown> & { devDependencies?: Record<string, string> };
  pkg.name = name;
  pkg.devDependencies = { ...pkg.devDependencies, "ferrite-wasm": `^${toolkitVersion()}` };
  await writeFile(file, JSON.stringify(pkg, null, 2) + "\n");
}

async function retitleReadme(dir: string, name: string): Promise<void> {
  const file = path.join(dir, "README.md");
  const text = await readFile(file, "utf8").catch(() => null);
  if (text !== null) await writeFile(file, text.replace(/^# .*$/m, `# ${name}`));
}

/** A folder name made into a valid npm package name ("My Fn!" -> "my-fn"). */
export function packageName(folder: string): string {
  const name = folder
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/^[._]/, "")
    .replace(/[^a-z0-9-~]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name || "ferrite-function";
}
