// The build itself: module sizes stay small, debug builds and source maps work, json-as's
// settings cannot leak in from the environment, and compile errors name the AssemblyScript line.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../cli/build/asc.js";
import { buildFixture, REPO } from "../helpers/asc.js";

/** Release sizes (bytes) measured when asconfig.json was chosen, with room to spare. */
const BUDGET: Record<string, number> = { echo: 8_000, validate: 24_000 };

describe("module size", () => {
  it.each(Object.keys(BUDGET))("%s stays within its budget", async (name) => {
    const { wasm } = await buildFixture(name);
    console.info(`${name}.wasm: ${wasm.length} B, ${gzipSync(wasm).length} B gzipped`);
    expect(wasm.length).toBeLessThan(BUDGET[name]);
  }, 120_000);
});

describe("source maps", () => {
  it("map traps to the fixture and the SDK", async () => {
    const { sourceMap } = await buildFixture("abort");
    const map = JSON.parse(sourceMap) as { sources: string[]; mappings: string };
    expect(map.sources).toContain("test/fixtures/abort.ts");
    expect(map.sources.some((s) => s.startsWith("~lib/ferrite-wasm/sdk/"))).toBe(true);
    expect(map.mappings.length).toBeGreaterThan(0);
  }, 120_000);

  it("debug builds keep names and still import only env.ferrite_*", async () => {
    const { wasm } = await buildFixture("validate", { debug: true });
    const mod = new WebAssembly.Module(wasm);
    expect(WebAssembly.Module.customSections(mod, "name").length).toBe(1);
    for (const imp of WebAssembly.Module.imports(mod)) expect(imp.name).toMatch(/^ferrite_/);
  }, 120_000);
});

describe("compile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-asc-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports errors with the AssemblyScript file, line and column", async () => {
    await writeFile(path.join(dir, "broken.ts"), [
      'import { output } from "ferrite-wasm/sdk";',
      "export function go(ptr: i32, len: i32): i32 {",
      '  const n: i32 = "text";',
      "  output.string(missingName);",
      "  return n;",
      "}",
    ].join("\n"));
    const result = await compile({ entry: "broken.ts", cwd: dir });
    expect(result.ok).toBe(false);
    expect(result.wasm).toBeUndefined();
    expect(result.diagnostics).toContainEqual(expect.objectContaining({ file: "broken.ts", line: 3, column: 18, category: "error" }));
    expect(result.diagnostics).toContainEqual(expect.objectContaining({
      file: "broken.ts", line: 4, column: 17, category: "error", message: "Cannot find name 'missingName'.",
    }));
  }, 120_000);

  it("resolves ferrite-wasm/sdk from a folder without node_modules", async () => {
    await writeFile(path.join(dir, "ok.ts"), [
      'import { input, output } from "ferrite-wasm/sdk";',
      "@json class Msg { text: string = \"\" }",
      "export function go(ptr: i32, len: i32): i32 {",
      "  output.json<Msg>(input.json<Msg>(ptr, len));",
      "  return 0;",
      "}",
    ].join("\n"));
    const result = await compile({ entry: path.join(dir, "ok.ts"), cwd: dir, sourceMap: false });
    expect(result.diagnostics.filter((d) => d.category === "error")).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.sourceMap).toBeUndefined();
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(result.wasm!)).map((e) => e.name);
    expect(exports).toEqual(expect.arrayContaining(["go", "ferrite_alloc", "memory"]));
  }, 120_000);

  it("keeps the exports of an entry named assembly/index.ts (json-as would drop them)", async () => {
    await mkdir(path.join(dir, "assembly"), { recursive: true });
    await writeFile(path.join(dir, "assembly/index.ts"), 'import "ferrite-wasm/sdk";\nexport function go(ptr: i32, len: i32): i32 { return 0; }\n');
    const result = await compile({ entry: "assembly/index.ts", cwd: dir });
    expect(result.ok).toBe(true);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(result.wasm!)).map((e) => e.name);
    expect(exports).toContain("go");
  }, 120_000);

  it("gives the same module whatever JSON_* variables are set, and restores them", async () => {
    const entry = "test/fixtures/validate.ts";
    const cwd = REPO;
    const plain = await compile({ entry, cwd });
    const saved = { ...process.env };
    Object.assign(process.env, { JSON_CACHE: "true", JSON_MODE: "NAIVE", JSON_STRICT: "true" });
    try {
      const noisy = await compile({ entry, cwd });
      expect(Buffer.from(noisy.wasm!).equals(Buffer.from(plain.wasm!))).toBe(true);
      expect(process.env.JSON_CACHE).toBe("true");
    } finally {
      for (const key of ["JSON_CACHE", "JSON_MODE", "JSON_STRICT"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  }, 120_000);

  it("can run repeatedly and concurrently in one process", async () => {
    const cwd = REPO;
    const builds = await Promise.all(["echo", "validate", "echo"].map((name) => compile({ entry: `test/fixtures/${name}.ts`, cwd })));
    expect(builds.every((b) => b.ok)).toBe(true);
    expect(Buffer.from(builds[0].wasm!).equals(Buffer.from(builds[2].wasm!))).toBe(true);
    expect(Buffer.from(builds[0].wasm!).equals(Buffer.from(builds[1].wasm!))).toBe(false);
  }, 120_000);
});
