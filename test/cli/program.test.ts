// Terminal manners shared by every command: --help with examples, exit codes, errors that say
// what to do (with a stack trace only under FERRITE_DEBUG=1), colours only on a terminal, and
// --json everywhere. Also `new`'s own errors and listing.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { colorEnabled } from "../../cli/shared/print.js";
import { packageName } from "../../cli/scaffold/create.js";
import { TEMPLATES } from "../../cli/scaffold/template-table.js";
import { CLI, cli, ensureCliBuilt, tempDir } from "./helpers/cli.js";

const COMMANDS = ["new", "build", "check", "call", "test"];

let work: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  work = await tempDir();
  await ensureCliBuilt();
});
afterAll(() => work?.cleanup());

describe.concurrent("help and usage", () => {
  test("the top-level help lists every command and examples", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(r.stdout).toContain("Examples:");
  });

  test.each(COMMANDS)("%s --help has examples and --json", async (c) => {
    const r = await cli([c, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain(`$ ferrite-wasm ${c}`);
    expect(r.stdout).toContain("--json");
  });

  test("--version prints the package version", async () => {
    const { version } = JSON.parse(await (await import("node:fs/promises")).readFile(new URL("../../package.json", import.meta.url), "utf8"));
    expect((await cli(["--version"])).stdout.trim()).toBe(version);
  });

  test("an unknown command or option exits 1 and points at --help", async () => {
    const r = await cli(["biuld"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'biuld'/);
    const o = await cli(["check", "x.wasm", "--bogus"]);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/unknown option '--bogus'[\s\S]*--help/);
  });
});

describe.concurrent("errors", () => {
  test("a clear message and a fix, exit 1, no stack trace", async () => {
    const r = await cli(["build"], { cwd: work.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error no ferrite\.toml in /);
    expect(r.stderr).toMatch(/\nfix\s+run this inside a ferrite-wasm project/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("FERRITE_DEBUG=1 adds the stack trace", async () => {
    const r = await cli(["build"], { cwd: work.dir, env: { FERRITE_DEBUG: "1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at .*(cli|chunk)/);
  });

  test("with --json the error is a JSON document on stdout", async () => {
    const r = await cli(["build", "--json"], { cwd: work.dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: "ERR_NO_MANIFEST", fix: expect.stringContaining("ferrite-wasm new") } });
  });
});

describe("colours", () => {
  test("only on a terminal, never with NO_COLOR, forced with FORCE_COLOR", () => {
    expect(colorEnabled({ isTTY: true }, { TERM: "xterm" })).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
  });

  test("piped output has no escape codes; FORCE_COLOR brings them back", async () => {
    const plain = await cli(["build"], { cwd: work.dir });
    expect(plain.stderr).not.toMatch(/\x1b\[/);
    const forced = await cli(["build"], { cwd: work.dir, env: { FORCE_COLOR: "1" } });
    expect(forced.stderr).toMatch(/\x1b\[31m/);
  });
});

describe.concurrent("new", () => {
  test("--list shows every template; --json too", async () => {
    const r = await cli(["new", "--list"]);
    for (const t of TEMPLATES) expect(r.stdout).toContain(t.name);
    expect(JSON.parse((await cli(["new", "--list", "--json"])).stdout).templates.map((t: { name: string }) => t.name)).toEqual(TEMPLATES.map((t) => t.name));
  });

  test("an unknown template names the ones there are", async () => {
    const r = await cli(["new", path.join(work.dir, "x"), "--template", "vaildate"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/there is no template 'vaildate'/);
    expect(r.stderr).toMatch(/fix\s+use one of: blank, validate, transform, aggregate, process-order/);
  });

  test("a misspelt template gets a \"did you mean\"", async () => {
    const r = await cli(["new", path.join(work.dir, "y"), "--template", "validat"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/there is no template 'validat'; did you mean 'validate'\?/);
    const far = await cli(["new", path.join(work.dir, "y"), "--template", "spreadsheet"]);
    expect(far.stderr).toMatch(/there is no template 'spreadsheet'\n/);
  });

  test("next steps are commands that work in the new project: npm scripts and npx, or the bare command when it is on PATH", async () => {
    const local = await cli(["new", path.join(work.dir, "steps-local")], { cwd: work.dir });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain("Next steps:\n  cd steps-local\n  npm install\n  npm run build\n  npm test\n  npx ferrite-wasm call hello Ada\n");

    // A global install puts the bin on PATH: a symlink to dist/cli.js, as npm makes it.
    const bin = path.join(work.dir, "bin");
    await mkdir(bin);
    await symlink(CLI, path.join(bin, "ferrite-wasm"));
    const global = await cli(["new", path.join(work.dir, "steps-global")], { cwd: work.dir, env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
    expect(global.code, global.stderr).toBe(0);
    expect(global.stdout).toContain("Next steps:\n  cd steps-global\n  ferrite-wasm build\n  ferrite-wasm test\n  ferrite-wasm call hello Ada\n");
  });

  test("refuses a folder that is not empty, unless --force", async () => {
    const dir = path.join(work.dir, "taken");
    await mkdir(dir);
    await writeFile(path.join(dir, "notes.txt"), "mine");
    const r = await cli(["new", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/taken exists and is not empty/);
    expect(r.stderr).toMatch(/--force/);
    const forced = await cli(["new", dir, "--force", "--json"]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ ok: true, template: "blank", name: "taken" });
  });

  test("a folder is required", async () => {
    const r = await cli(["new"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing the folder to create/);
  });

  test("folder names become valid package names", () => {
    expect(packageName("My Fn!")).toBe("my-fn");
    expect(packageName(".hidden")).toBe("hidden");
    expect(packageName("---")).toBe("ferrite-function");
  });
});
