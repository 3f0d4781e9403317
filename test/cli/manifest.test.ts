// ferrite.toml: what a valid manifest gives, and how each mistake is reported (file, key, fix).
import path from "node:path";
import { describe, expect, test } from "vitest";
import { CliError } from "../../cli/shared/errors.js";
import { parseManifest, selectFunctions } from "../../cli/project/manifest.js";

const FILE = path.join("/project", "ferrite.toml");

function problem(toml: string): CliError {
  try {
    parseManifest(toml, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return e as CliError;
  }
  throw new Error("the manifest was accepted");
}

describe("a valid manifest", () => {
  test("fills in defaults and resolves paths", () => {
    const m = parseManifest(`[functions.validate]\nsource = "assembly/validate.ts"\n`, FILE);
    expect(m.root).toBe("/project");
    expect(m.outDir).toBe("/project/build");
    expect(m.optimize).toBe("size");
    expect(m.functions).toEqual([
      {
        name: "validate",
        entry: undefined,
        source: "assembly/validate.ts",
        sourcePath: "/project/assembly/validate.ts",
        capabilities: [],
        memory: "10MB",
        memoryBytes: 10 * 1024 * 1024,
        timeoutMs: 1000,
        wasmPath: "/project/build/validate.wasm",
      },
    ]);
  });

  test("takes every key", () => {
    const m = parseManifest(
      `[build]\nout_dir = "out"\noptimize = "speed"\n\n[functions."process-order"]\nsource = "a.ts"\nentry = "process_order"\ncapabilities = ["read", "write"]\nmemory = "2MB"\ntimeout_ms = 250\n`,
      FILE,
    );
    expect(m).toMatchObject({ outDir: "/project/out", optimize: "speed" });
    expect(m.functions[0]).toMatchObject({ name: "process-order", entry: "process_order", capabilities: ["read", "write"], memoryBytes: 2 * 1024 * 1024, timeoutMs: 250, wasmPath: "/project/out/process-order.wasm" });
  });

  test("selectFunctions names the functions that exist when one does not", () => {
    const m = parseManifest(`[functions.a]\nsource = "a.ts"\n[functions.b]\nsource = "b.ts"\n`, FILE);
    expect(selectFunctions(m, ["b"]).map((f) => f.name)).toEqual(["b"]);
    expect(() => selectFunctions(m, ["c"])).toThrow(/declares no function 'c'/);
  });
});

describe("mistakes name the file, the key and the fix", () => {
  test("TOML syntax, with the line and column", () => {
    const e = problem(`[functions.validate]\nsource = assembly/validate.ts\n`);
    expect(e.message).toMatch(/^ferrite\.toml:2:\d+: invalid TOML/);
    expect(e.fix).toMatch(/strings need double quotes/);
  });

  test("a misspelt key suggests the right one", () => {
    const e = problem(`[functions.validate]\nsource = "a.ts"\ntimeout = 100\n`);
    expect(e.message).toBe("ferrite.toml: functions.validate: unknown key 'timeout'");
    expect(e.fix).toMatch(/did you mean 'timeout_ms'\?/);
  });

  test("an unknown capability lists the valid ones", () => {
    const e = problem(`[functions.validate]\nsource = "a.ts"\ncapabilities = ["read", "wirte"]\n`);
    expect(e.message).toBe(`ferrite.toml: functions.validate.capabilities[1]: 'wirte' is not one of "read", "write", "delete", "http", "time", "random", "log", "all"`);
    expect(e.fix).toMatch(/list what the function needs/);
  });

  test("a missing source", () => {
    const e = problem(`[functions.validate]\ncapabilities = []\n`);
    expect(e.message).toBe("ferrite.toml: functions.validate.source: is missing");
    expect(e.fix).toMatch(/source = "assembly\/validate\.ts"/);
  });

  test("a list written as a string reads as a list, with its article (not \"a array\")", () => {
    const e = problem(`[functions.validate]\nsource = "a.ts"\ncapabilities = "read"\n`);
    expect(e.message).toBe("ferrite.toml: functions.validate.capabilities: must be a list, not 'read'");
    expect(e.fix).toMatch(/capabilities = \["read"\]/);
    const table = problem(`functions = 3\n`);
    expect(table.message).toBe("ferrite.toml: functions: must be a table, not 3");
  });

  test("a memory limit that does not parse", () => {
    const e = problem(`[functions.validate]\nsource = "a.ts"\nmemory = "10XB"\n`);
    expect(e.message).toBe("ferrite.toml: functions.validate.memory: invalid memory limit '10XB'");
    expect(e.fix).toMatch(/"512KB" or "10MB"/);
  });

  test("a timeout of the wrong type", () => {
    const e = problem(`[functions.validate]\nsource = "a.ts"\ntimeout_ms = "fast"\n`);
    expect(e.message).toBe("ferrite.toml: functions.validate.timeout_ms: must be a number, not 'fast'");
    expect(e.fix).toMatch(/whole milliseconds/);
  });

  test("no functions at all", () => {
    expect(problem(`[build]\nout_dir = "build"\n`).message).toBe("ferrite.toml: functions: is missing");
    expect(problem(`[functions]\n`).message).toBe("ferrite.toml: functions: declares no functions");
  });

  test("a function name the runtime would refuse", () => {
    const e = problem(`[functions."bad name"]\nsource = "a.ts"\n`);
    expect(e.message).toMatch(/'bad name' is not a valid function name/);
  });

  test("several problems are listed together", () => {
    const e = problem(`[functions.a]\nsource = "a.ts"\nmemory = "lots"\ncapabilities = ["nope"]\n`);
    expect(e.message).toBe("ferrite.toml has 2 problems");
    expect(e.details).toEqual([expect.stringMatching(/^functions\.a\.capabilities\[0\]: 'nope' is not one of/), expect.stringMatching(/^functions\.a\.memory: invalid memory limit 'lots'/)]);
  });
});
