// The languages `ferrite-wasm new --lang` offers. AssemblyScript templates live in
// templates/<name>, the others in templates/<lang>/<name>; a template exists in a language when its
// folder does. After the copy, a Rust project gets its crate name and the path of the toolkit's
// ferrite-wasm crate (for plain cargo; `ferrite-wasm build` always passes its own).
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { templatesDir, toolkitRoot } from "../shared/toolkit.js";

export const LANGUAGES = ["assemblyscript", "rust", "c"] as const;
export type TemplateLanguage = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: TemplateLanguage = "assemblyscript";

/** Other spellings `--lang` accepts. */
const ALIASES: Record<string, TemplateLanguage> = { as: "assemblyscript", ts: "assemblyscript", rs: "rust" };

export function parseLanguage(value: string): TemplateLanguage | null {
  const v = value.trim().toLowerCase();
  return (LANGUAGES as readonly string[]).includes(v) ? (v as TemplateLanguage) : ALIASES[v] ?? null;
}

/** The template's folder for a language, relative to templates/. */
export function templateFolder(template: string, lang: TemplateLanguage): string {
  return lang === DEFAULT_LANGUAGE ? template : `${lang}/${template}`;
}

/** True when the template exists in that language. */
export function hasTemplate(template: string, lang: TemplateLanguage): boolean {
  return existsSync(path.join(templatesDir(), templateFolder(template, lang), "ferrite.toml"));
}

/** Language-specific touches after the template is copied. */
export async function adaptProject(dir: string, name: string, lang: TemplateLanguage): Promise<void> {
  if (lang !== "rust") return;
  const cargoToml = path.join(dir, "Cargo.toml");
  const text = await readFile(cargoToml, "utf8").catch(() => null);
  if (text !== null) await writeFile(cargoToml, text.replace(/^name = ".*"$/m, `name = "${crateName(name)}"`));
  const config = path.join(dir, ".cargo", "config.toml");
  const cfg = await readFile(config, "utf8").catch(() => null);
  const crate = path.join(toolkitRoot(), "rust", "ferrite-wasm");
  if (cfg !== null) await writeFile(config, cfg.replace(/^ferrite-wasm = \{ path = ".*" \}$/m, `ferrite-wasm = { path = ${JSON.stringify(crate)} }`));
}

/** An npm package name made into a cargo package name (letters, digits, - and _, not starting with a digit). */
export function crateName(packageName: string): string {
  const name = packageName.replace(/[^a-z0-9_-]/g, "-");
  return /^[a-z]/.test(name) ? name : `fn-${name}`;
}
