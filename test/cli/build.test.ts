// `ferrite-wasm build` on a small AssemblyScript project: capability inference against the
// manifest (too little fails naming the capability, too much warns), up-to-date detection,
// compile errors with file:line:col, --debug, --watch, and `test` rebuilding what changed.
// One real compile is shared by most tests: later ones only edit ferrite.toml.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cli, ensureCliBuilt, spawnCli, tempDir } from "./helpers/cli.js";

// bump KEY: adds 1 to the number at KEY, logs it, replies with the new value.
const BUMP = `import { args, keys, log, output } from "ferrite-wasm/sdk";

export function bump(ptr: i32, len: i32): i32 {
  const key = args.string(0)!;
  const value = keys.get(key);
  const next = (value === null ? 0 : I32.parseInt(value)) + 1;
  keys.set(key, next.toString());
  log.info("bumped " + key);
  output.string(next.toString());
  return 0;
}
`;

const BROKEN = `import { output } from "ferrite-wasm/sdk";

export function broken(ptr: i32, len: i32): i32 {
  const n: i32 = "not a number";
  output.string(n.toString());
  return 0;
}
`;

const TEST = `import { expect, test } from "vitest";
import { loadProject } from "ferrite-wasm/project";
import { text } from "ferrite-wasm/testing";

test("bump counts", async () => {
  const { call } = await loadProject(new URL("..", import.meta.url), { functions: ["bump"] });
  expect(text(call("bump", "n"))).toBe("1");
  expect(text(call("bump", "n"))).toBe("2");
});
`;

const manifest = (caps: string, extra = "") => `[functions.bump]\nsource = "assembly/bump.ts"\ncapabilities = ${caps}\nmemory = "1MB"\n${extra}`;

let work: Awaited<ReturnType<typeof tempDir>>;
const file = (name: string) => path.join(work.dir, name);
const build = (...args: string[]) => cli(["build", ...args], { cwd: work.dir });

beforeAll(async () => {
  work = await tempDir();
  const { mkdir } = await import("node:fs/promises");
  await mkdir(file("assembly"));
  await mkdir(file("test"));
  await writeFile(file("assembly/bump.ts"), BUMP);
  await writeFile(file("assembly/broken.ts"), BROKEN);
  await writeFile(file("test/bump.test.ts"), TEST);
  await writeFile(file("ferrite.toml"), manifest(`["read", "write", "log"]`));
  await ensureCliBuilt();
});
afterAll(() => work?.cleanup());

describe("capabilities inferred from the module's imports", () => {
  test("exactly the ones it needs: built, no problems", async () => {
    const r = await build("--json");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [fn] = JSON.parse(r.stdout).functions;
    expect(fn).toMatchObject({ name: "bump", ok: true, compiled: true });
    expect(fn.report.capabilities).toMatchObject({ needed: ["read", "write", "log"], granted: ["read", "write", "log"], missing: [], unused: [] });
    expect(fn.report.capabilities.neededBy).toEqual({ read: ["env.ferrite_get"], write: ["env.ferrite_set"], log: ["env.ferrite_log"] });
    expect(fn.report.problems).toEqual([]);
  });

  test("an unchanged build is up to date and not compiled again", async () => {
    const r = await build();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ bump .*build\/bump\.wasm · up to date/);
    expect(r.stdout).toMatch(/Built 1 function in/);
  });

  test("too few: the build fails, naming each missing capability, the import and the fix", async () => {
    await writeFile(file("ferrite.toml"), manifest(`["read"]`));
    const r = await build();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✖ bump");
    expect(r.stdout).toContain(
      `the module needs capability 'write' (it imports env.ferrite_set) but functions.bump.capabilities in ferrite.toml does not grant it`,
    );
    expect(r.stdout).toContain(`fix add "write" to functions.bump.capabilities in ferrite.toml`);
    expect(r.stdout).toContain(`needs capability 'log' (it imports env.ferrite_log)`);
    expect(r.stdout).toMatch(/1 of 1 function failed/);
  });

  test("too many: a warning for each unused one, and the build passes", async () => {
    await writeFile(file("ferrite.toml"), manifest(`["read", "write", "log", "delete", "time"]`));
    const r = await build("--json");
    expect(r.code).toBe(0);
    const [fn] = JSON.parse(r.stdout).functions;
    expect(fn.report.capabilities.unused).toEqual(["delete", "time"]);
    expect(fn.report.problems.map((p: { level: string; message: string; fix: string }) => [p.level, p.message, p.fix])).toEqual([
      ["warning", "functions.bump.capabilities in ferrite.toml grants 'delete', but the module never uses it (it imports no ferrite_del)", `remove "delete" from functions.bump.capabilities in ferrite.toml (least privilege)`],
      ["warning", "functions.bump.capabilities in ferrite.toml grants 'time', but the module never uses it (it imports no ferrite_now)", `remove "time" from functions.bump.capabilities in ferrite.toml (least privilege)`],
    ]);
    const human = await build();
    expect(human.stdout).toMatch(/⚠ bump/);
  });

  test("an entry that is not there is an ABI error with the manifest fix", async () => {
    await writeFile(file("ferrite.toml"), manifest(`["read", "write", "log"]`, `entry = "bumpp"\n`));
    const r = await build();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("cannot load 'bump': the module has no export 'bumpp' to use as the entry; its entries are: bump");
    expect(r.stdout).toContain(`fix set entry = "<export>" under [functions.bump] in ferrite.toml`);
    await writeFile(file("ferrite.toml"), manifest(`["read", "write", "log"]`));
  });
});

describe("compile errors", () => {
  test("show the AssemblyScript file:line:col and message", async () => {
    await writeFile(file("ferrite.toml"), manifest(`["read", "write", "log"]`, `\n[functions.broken]\nsource = "assembly/broken.ts"\n`));
    const r = await build("broken");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ broken {2}assembly\/broken\.ts failed to compile/);
    expect(r.stdout).toMatch(/assembly\/broken\.ts:4:18 - error TS2322: Type '~lib\/string\/String' is not assignable to type 'i32'/);
    const json = JSON.parse((await build("broken", "--json")).stdout);
    expect(json.functions[0].diagnostics[0]).toMatchObject({ file: "assembly/broken.ts", line: 4, column: 18, category: "error" });
    await writeFile(file("ferrite.toml"), manifest(`["read", "write", "log"]`));
  });

  test("a broken manifest stops the build with the key and the fix", async () => {
    const original = await readFile(file("ferrite.toml"), "utf8");
    await writeFile(file("ferrite.toml"), original.replace("memory", "memroy"));
    const r = await build();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error ferrite\.toml: functions\.bump: unknown key 'memroy'/);
    expect(r.stderr).toMatch(/fix\s+did you mean 'memory'\?/);
    await writeFile(file("ferrite.toml"), original);
  });
});

describe("test and --debug", () => {
  test("test rebuilds a changed source before running the tests", async () => {
    await writeFile(file("assembly/bump.ts"), BUMP.replace('"bumped "', '"bumped key "'));
    const r = await cli(["test"], { cwd: work.dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Built bump \(build\/bump\.wasm\) in/);
    expect(r.stdout).toMatch(/Tests 1 passed in/);
  });

  test("--debug builds the unoptimized target, with its names", async () => {
    const release = JSON.parse((await build("--json")).stdout).functions[0];
    const debug = JSON.parse((await build("--debug", "--json")).stdout).functions[0];
    expect(debug).toMatchObject({ ok: true, compiled: true });
    expect(debug.report.size.raw).toBeGreaterThan(release.report.size.raw);
  });
});

test("--watch rebuilds after an edit", async () => {
  const w = spawnCli(["build", "bump", "--watch", "--json"], work.dir);
  try {
    // One JSON document per build; the first is printed once the watcher is ready.
    expect((await w.waitFor((_, i) => i === 0, "the first build")).ok).toBe(true);
    await writeFile(file("assembly/bump.ts"), BUMP.replace('"bumped "', '"bumped again "'));
    const rebuilt = ((await w.waitFor((_, i) => i === 1, "the rebuild")).functions as { durationMs: number }[])[0];
    expect(rebuilt).toMatchObject({ name: "bump", ok: true, compiled: true });
    console.log(`[watch] warm rebuild of bump: ${Math.round(rebuilt.durationMs)} ms`);
    expect(w.errors()).toBe(""); // --json keeps both streams machine-readable
  } finally {
    w.child.kill();
    await w.exited();
  }
});
