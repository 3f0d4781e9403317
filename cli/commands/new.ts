// `ferrite-wasm new <dir> [--template NAME]`: a project that builds and passes its tests as created.
import path from "node:path";
import { Command } from "commander";
import { action } from "../program.js";
import { createProject } from "../scaffold/create.js";
import { DEFAULT_TEMPLATE, findTemplate, TEMPLATES } from "../scaffold/template-table.js";
import { DEFAULT_LANGUAGE, hasTemplate, LANGUAGES, parseLanguage } from "../scaffold/languages.js";
import { onPath, toolkitVersion } from "../shared/toolkit.js";

/**
 * Commands that work in the new project as the user's shell stands: the bare command when this
 * toolkit is on PATH; otherwise the project's own install, through its npm scripts and npx.
 */
export function nextSteps(rel: string, example: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const steps = rel === "." ? [] : [`cd ${rel.includes(" ") ? JSON.stringify(rel) : rel}`];
  if (onPath(env)) return [...steps, "ferrite-wasm build", "ferrite-wasm test", `ferrite-wasm call ${example}`];
  return [...steps, "npm install", "npm run build", "npm test", `npx ferrite-wasm call ${example}`];
}

interface NewOptions {
  json?: boolean;
  template: string;
  lang: string;
  force?: boolean;
  list?: boolean;
}

export function newCommand(): Command {
  const width = Math.max(...TEMPLATES.map((t) => t.name.length));
  return new Command("new")
    .description("create a function project from a template")
    .argument("[dir]", "folder to create (must be empty or missing)")
    .option("-t, --template <name>", `template to start from: ${TEMPLATES.map((t) => t.name).join(", ")}`, DEFAULT_TEMPLATE)
    .option("-l, --lang <language>", `the language to write the function in: ${LANGUAGES.join(", ")}`, DEFAULT_LANGUAGE)
    .option("--force", "write into a folder that is not empty")
    .option("--list", "list the templates and exit")
    .addHelpText(
      "after",
      `
Templates:
${TEMPLATES.map((t) => `  ${t.name.padEnd(width)}  ${t.description}`).join("\n")}

Languages: assemblyscript (every template), ${LANGUAGES.filter((l) => l !== DEFAULT_LANGUAGE)
        .map((l) => `${l} (${TEMPLATES.filter((t) => hasTemplate(t.name, l)).map((t) => t.name).join(", ")})`)
        .join(", ")}. Rust needs cargo with the
wasm32-unknown-unknown target, C needs clang and lld (docs/lang-rust.md, docs/lang-c.md).

ferrite-wasm supplies the compiler, the SDK and vitest. The project's package.json
names the toolkit as a devDependency (^${toolkitVersion()}): \`npm install\` there gives the
project its own ferrite-wasm, for \`npm run build\`, \`npm test\` and \`npx ferrite-wasm ...\`.

Examples:
  $ ferrite-wasm new my-fn
  $ ferrite-wasm new checkout --template process-order
  $ ferrite-wasm new my-fn --lang rust --template validate
  $ ferrite-wasm new --list`,
    )
    .action(
      action<NewOptions>(async ([dir], opts, out) => {
        const lang = parseLanguage(opts.lang);
        if (!lang) {
          const { CliError } = await import("../shared/errors.js");
          throw new CliError("ERR_USAGE", `there is no language '${opts.lang}'`, `use one of: ${LANGUAGES.join(", ")}`);
        }
        if (opts.list || dir === undefined) {
          if (!opts.list) {
            const { CliError } = await import("../shared/errors.js");
            throw new CliError("ERR_USAGE", "missing the folder to create", "run `ferrite-wasm new <dir> [--template NAME]` (see --list for templates)");
          }
          const offered = TEMPLATES.filter((t) => hasTemplate(t.name, lang));
          if (out.json) out.emit({ templates: offered });
          else for (const t of offered) out.line(`${out.c.bold(t.name.padEnd(width))}  ${t.description}`);
          return;
        }
        const created = await createProject(String(dir), opts.template, { force: opts.force, lang });
        if (out.json) {
          out.emit({ ok: true, ...created });
          return;
        }
        const { c, sym } = out;
        const rel = path.relative(process.cwd(), created.dir) || ".";
        out.line(`${sym.ok} Created ${c.bold(rel)} from the ${c.cyan(created.template)} template${created.lang === DEFAULT_LANGUAGE ? "" : ` (${created.lang})`} (${created.files.length} files).`);
        out.line();
        out.line("Next steps:");
        for (const step of nextSteps(rel, findTemplate(created.template)!.example)) out.line(`  ${step}`);
      }),
    );
}
