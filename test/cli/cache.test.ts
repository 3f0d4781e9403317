// `ferrite-wasm call` keeps the prepared module in node_modules/.cache/ferrite-wasm: the next
// process loads it without importing binaryen at all (an import hook records every module that
// resolves to binaryen or the compiler, in the main thread and in workers). A corrupt entry is
// ignored and rebuilt. A built project's function is called without the compiler too.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { salted } from "../helpers/big-module.js";
import { echoWat } from "../helpers/runtime.js";
import { cli, CLI, cliEnv, ensureCliBuilt, tempDir } from "./helpers/cli.js";

const run = promisify(execFile);
let work: Awaited<ReturnType<typeof tempDir>>;
let hook: string;

beforeAll(async () => {
  await ensureCliBuilt();
  work = await tempDir("ferrite-cli-cache-");
  writeFileSync(path.join(work.dir, "package.json"), JSON.stringify({ name: "cache-test", private: true }));
  writeFileSync(path.join(work.dir, "echo.wasm"), salted(echoWat, `cli-cache-${process.pid}-${Date.now()}`));
  hook = path.join(work.dir, "log-binaryen.mjs");
  writeFileSync(
    hook,
    `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes("/binaryen/") || r.url.includes("/assemblyscript/")) appendFileSync(\${JSON.stringify(process.env.IMPORT_LOG)}, r.url + "\\\\n");
  return r;
}\`));
`,
  );
});
afterAll(() => work?.cleanup());

let runs = 0;
/** One `ferrite-wasm call <target> <arg>` in a new process; whether it imported binaryen (or the compiler). */
async function call(arg: string, target = "echo.wasm", cwd = work.dir): Promise<{ stdout: string; binaryen: boolean; compiler: boolean }> {
  const log = path.join(work.dir, `imports-${++runs}.log`);
  // The default place (no FERRITE_WASM_CACHE_DIR): the project's node_modules/.cache/ferrite-wasm.
  const env = cliEnv({ FERRITE_WASM_CACHE_DIR: undefined, CACHE_DIR: undefined, IMPORT_LOG: log });
  const { stdout } = await run(process.execPath, ["--import", hook, CLI, "call", target, arg], { cwd, env });
  const imports = existsSync(log) ? readFileSync(log, "utf8") : "";
  return { stdout, binaryen: imports.includes("/binaryen/"), compiler: imports.includes("/assemblyscript/") };
}

const entries = () => {
  const dir = path.join(work.dir, "node_modules", ".cache", "ferrite-wasm");
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".prepared")).map((f) => path.join(dir, f)) : [];
};

test("the second call of a module loads it from the disk cache without importing binaryen", async () => {
  const first = await call("one");
  expect(first.stdout).toBe("one\n");
  expect(first.binaryen).toBe(true); // prepared on the worker: the hook sees binaryen
  expect(entries()).toHaveLength(1);

  const second = await call("two");
  expect(second.stdout).toBe("two\n");
  expect(second.binaryen).toBe(false);
});

test("a corrupt entry is ignored: the call still answers, and the entry is rebuilt", async () => {
  const [entry] = entries();
  writeFileSync(entry, "corrupt");
  const third = await call("three");
  expect(third.stdout).toBe("three\n");
  expect(third.binaryen).toBe(true);
  expect(readFileSync(entry).subarray(0, 28).toString()).toBe("ferrite-wasm prepared module");

  const fourth = await call("four");
  expect(fourth.stdout).toBe("four\n");
  expect(fourth.binaryen).toBe(false);
});

test("a built project's function is called without loading the compiler or binaryen (the build left it prepared)", async () => {
  const project = path.join(work.dir, "proj");
  expect((await cli(["new", project, "--template", "blank"], { env: { FERRITE_WASM_CACHE_DIR: undefined } })).code).toBe(0);
  // The build checks the module with the runtime's own checks, which leaves it prepared on disk.
  expect((await cli(["build"], { cwd: project, env: { FERRITE_WASM_CACHE_DIR: undefined } })).code).toBe(0);
  for (const name of ["Ada", "Grace"]) {
    const r = await call(name, "hello", project);
    expect(r.stdout).toBe(`Hello, ${name}!\n`);
    expect(r).toMatchObject({ binaryen: false, compiler: false });
  }
});
