// End to end, for each template, with the built CLI as a subprocess in a temporary folder:
// new -> build -> test -> call, checking what each step prints and writes. One template at a
// time: a cold compile keeps a core busy for seconds, and a test's timeout should count its own
// work, not a wait for a turn.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cli, ensureCliBuilt, listFiles, ROOT, tempDir } from "./helpers/cli.js";
import { templateFiles } from "../../cli/scaffold/create.js";
import { TEMPLATES } from "../../cli/scaffold/template-table.js";

interface Case {
  template: string;
  fn: string;
  capabilities: string[];
  call: string[];
  /** `between`: the host clock's range while the call ran. */
  check: (stdout: string, between: [number, number]) => void;
  /** Size limit of the optimized module, when the template has one. */
  maxBytes?: number;
}

const CASES: Case[] = [
  { template: "blank", fn: "hello", capabilities: [], call: ["hello", "Ada"], check: (out) => expect(out).toBe("Hello, Ada!\n") },
  {
    template: "validate",
    fn: "validate",
    capabilities: [],
    call: ["validate", '{"email": "test@example.com"}'],
    check: (out) => expect(JSON.parse(out)).toEqual({ valid: true }),
    maxBytes: 12 * 1024,
  },
  {
    template: "transform",
    fn: "transform_user",
    capabilities: ["time"],
    call: ["transform_user", '{"id": 7, "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.COM"}'],
    check: (out, [before, after]) => {
      const user = JSON.parse(out);
      expect(user).toMatchObject({ id: 7, full_name: "Ada Lovelace", email: "ada@example.com" });
      // created_at is the host clock during the call
      expect(user.created_at).toBeGreaterThanOrEqual(before);
      expect(user.created_at).toBeLessThanOrEqual(after);
    },
  },
  {
    template: "aggregate",
    fn: "aggregate_stats",
    capabilities: ["read"],
    call: ["aggregate_stats", "--store", "seed.json", "price:1", "price:2", "price:3", "price:4", "missing"],
    check: (out) => expect(JSON.parse(out)).toEqual({ sum: 60.5, count: 3, avg: 60.5 / 3 }),
  },
  {
    template: "process-order",
    fn: "process_order",
    capabilities: ["read", "write"],
    call: ["process_order", "--store", "seed.json", "order:1001"],
    check: (out) => expect(JSON.parse(out)).toEqual({ total: 102, discount: 0.15 }),
  },
];

let work: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  await ensureCliBuilt();
  work = await tempDir();
});
afterAll(() => work?.cleanup());

test("every template in the table has a case here, and a folder", async () => {
  expect(CASES.map((c) => c.template).sort()).toEqual(TEMPLATES.map((t) => t.name).sort());
});

describe.each(CASES)("template $template", (c) => {
  test("new -> build -> test -> call", async () => {
    const dir = path.join(work.dir, `my-${c.template}`);

    // new: the project is the template folder's listing, with dotfiles renamed
    const created = await cli(["new", dir, "--template", c.template]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`from the ${c.template} template`);
    expect(created.stdout).toContain(`ferrite-wasm call ${c.call[0]}`);
    expect(listFiles(dir)).toEqual(await templateFiles(c.template));
    expect(listFiles(dir)).toContain(".gitignore");
    const pkg = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
    expect(pkg.name).toBe(`my-${c.template}`);
    // A semver range of this toolkit, not a path: the project installs wherever it is copied.
    const version = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")).version;
    expect(pkg.devDependencies["ferrite-wasm"]).toBe(`^${version}`);

    // build: one module with its source map, exactly the capabilities it needs, no problems
    const built = await cli(["build", "--json"], { cwd: dir });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const doc = JSON.parse(built.stdout);
    expect(doc.ok).toBe(true);
    const [fn] = doc.functions;
    expect(fn).toMatchObject({ name: c.fn, ok: true, compiled: true, wasm: `build/${c.fn}.wasm`, sourceMap: `build/${c.fn}.wasm.map` });
    expect(fn.report.problems).toEqual([]);
    expect(fn.report.entry).toBe(c.fn);
    expect(fn.report.capabilities.needed).toEqual(c.capabilities);
    expect(fn.report.capabilities.granted).toEqual(c.capabilities);
    const wasm = await readFile(path.join(dir, fn.wasm));
    expect(wasm.byteLength).toBe(fn.report.size.raw);
    if (c.maxBytes) expect(wasm.byteLength).toBeLessThanOrEqual(c.maxBytes);
    const urls = WebAssembly.Module.customSections(new WebAssembly.Module(wasm), "sourceMappingURL");
    expect(Buffer.from(urls[0]).toString()).toContain(`./${c.fn}.wasm.map`);
    const map = JSON.parse(await readFile(path.join(dir, fn.sourceMap), "utf8"));
    expect(map.sources).toContain(`assembly/${c.fn}.ts`);
    console.log(`[size] ${c.template}: ${fn.report.size.raw} B raw, ${fn.report.size.gzip} B gzip, compiled in ${Math.round(fn.durationMs)} ms`);

    // test: the template's own tests pass as created, without rebuilding
    const tested = await cli(["test", "--json"], { cwd: dir });
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    const summary = JSON.parse(tested.stdout);
    expect(summary).toMatchObject({ ok: true, failed: 0, errors: [] });
    expect(summary.passed).toBeGreaterThanOrEqual(3);
    expect(tested.stderr).not.toContain("Built ");

    // call: the reply on stdout, the summary on stderr
    const before = Date.now();
    const called = await cli(["call", ...c.call], { cwd: dir });
    const after = Date.now();
    expect(called.code, called.stderr).toBe(0);
    c.check(called.stdout, [before, after]);
    expect(called.stderr).toContain(`${c.fn} returned`);
  }, 300_000);
});
