// The toolkit as a user installs it: packed with `npm pack`, a project made with `new`, the
// project installed from the tarball (offline), then the next steps `new` printed, run as printed.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { cli, cliEnv, ensureCliBuilt, ROOT, tempDir } from "./helpers/cli.js";
import { lockProjectToTarball, packToolkit } from "./helpers/pack.js";
// @ts-expect-error: a plain .mjs script without types
import { packedReadme } from "../../scripts/pack-readme.mjs";

const exec = promisify(execFile);

let work: Awaited<ReturnType<typeof tempDir>>;
let tarball: string;
beforeAll(async () => {
  await ensureCliBuilt();
  work = await tempDir("ferrite-pack-");
  tarball = await packToolkit(work.dir);
});
afterAll(() => work?.cleanup());

/** A command line as `new` printed it, run by a shell in the project (as the user would). */
async function shell(line: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  return exec("sh", ["-c", line], { cwd, env: cliEnv({ npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false" }), maxBuffer: 64 * 1024 * 1024 });
}

test("the packed package installs from its tarball without a build or an install-script warning, and new's next steps work as printed", async () => {
  const version = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")).version as string;
  const created = await cli(["new", "checkout", "--template", "validate"], { cwd: work.dir });
  expect(created.code, created.stderr).toBe(0);
  const project = path.join(work.dir, "checkout");
  const pkg = JSON.parse(await readFile(path.join(project, "package.json"), "utf8"));
  expect(pkg.devDependencies).toEqual({ "ferrite-wasm": `^${version}` });

  const steps = created.stdout.split("Next steps:\n")[1].trim().split("\n").map((l) => l.trim());
  expect(steps).toEqual(["cd checkout", "npm install", "npm run build", "npm test", `npx ferrite-wasm call validate '{"email": "ada@example.com"}'`]);

  // `npm install`, from the tarball instead of the registry (the package is not published).
  await lockProjectToTarball(project, tarball);
  const installed = await shell("npm ci", project);
  const installLog = installed.stdout + installed.stderr;
  expect(installLog).toMatch(/added \d+ packages/);
  expect(installLog).not.toMatch(/install-scripts|prepare|npm run build|bundled the CLI/);
  const toolkit = path.join(project, "node_modules/ferrite-wasm");
  expect(existsSync(path.join(toolkit, "dist/cli.js"))).toBe(true);
  expect(existsSync(path.join(toolkit, "dist/build-worker.js"))).toBe(true);
  expect(existsSync(path.join(toolkit, "dist/.cli-test-stamp"))).toBe(false);
  const scripts = JSON.parse(await readFile(path.join(toolkit, "package.json"), "utf8")).scripts as Record<string, string>;
  for (const hook of ["preinstall", "install", "postinstall", "prepare"]) expect(scripts).not.toHaveProperty(hook);

  // The installed README starts with what an installed user does, not with the repository's npm ci.
  // packToolkit packs with --ignore-scripts, so the README prepack would ship is made here.
  const readme = packedReadme(await readFile(path.join(toolkit, "README.md"), "utf8"));
  const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1));
  expect(quickStart).toContain("npx ferrite-wasm new");
  expect(quickStart).not.toMatch(/npm ci|npm run demo/);

  // The rest of the steps, exactly as printed, with the installed toolkit.
  const built = await shell(steps[2], project);
  expect(built.stdout).toMatch(/Built 1 function/);
  const tested = await shell(steps[3], project);
  expect(tested.stdout).toMatch(/Tests \d+ passed/);
  const called = await shell(steps[4], project);
  expect(JSON.parse(called.stdout)).toEqual({ valid: true });
  expect(called.stderr).toContain("validate returned");
}, 300_000);
