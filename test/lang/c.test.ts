// C with real clang and wasm-ld: the C templates through new -> build -> test -> deploy -> call;
// every helper of ferrite.h and ferrite_json.h; the example in docs/lang-c.md, compiled as the page
// shows it; compiler and linker errors; and the message when clang is missing.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { testRuntime, utf8 } from "../helpers/runtime.js";
import { redisCli } from "../helpers/server.js";
import { cli, ensureCliBuilt, ROOT, tempDir } from "../cli/helpers/cli.js";
import { startServe } from "../cli/helpers/serve.js";
import { FIXTURES } from "./helpers.js";

// Each test runs the CLI (and asc or clang) as a process: these bound a hang, not a speed.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-lang-c-");
});
afterAll(async () => {
  await tmp?.cleanup();
});

/** A project with one C source and a ferrite.toml for it. */
async function project(name: string, source: string, manifest: string): Promise<string> {
  const dir = path.join(tmp.dir, name);
  await mkdir(path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, "src", `${name}.c`), source);
  await writeFile(path.join(dir, "ferrite.toml"), manifest);
  return dir;
}

describe("the validate template: new -> build -> test -> deploy -> call", () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp.dir, "c-validate");
    const created = await cli(["new", dir, "--lang", "c", "--template", "validate"], { cwd: tmp.dir });
    expect(created.code, created.stderr).toBe(0);
  });

  test("build compiles with clang and reports size and ABI", async () => {
    const built = await cli(["build", "--json"], { cwd: dir });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const fn = JSON.parse(built.stdout).functions[0];
    expect(fn).toMatchObject({ name: "validate", ok: true, compiled: true, diagnostics: [] });
    expect(fn.report.imports.sort()).toEqual(["env.ferrite_error", "env.ferrite_return"]);
    expect(fn.report.entry).toBe("validate");
    expect(fn.report.memory.initialBytes).toBeLessThanOrEqual(256 * 1024);
    expect(fn.report.size.raw).toBeLessThan(16 * 1024);
    const wasm = await readFile(path.join(dir, "build/validate.wasm"));
    expect(WebAssembly.Module.customSections(new WebAssembly.Module(wasm), "name")).toEqual([]);
  });

  test("an edit to the source or to a header it includes rebuilds; nothing else does", async () => {
    expect(JSON.parse((await cli(["build", "--json"], { cwd: dir })).stdout).functions[0].compiled).toBe(false);
    await writeFile(path.join(dir, "src/extra.h"), "#define EXTRA 1\n");
    const source = path.join(dir, "src/validate.c");
    await writeFile(source, '#include "extra.h"\n' + (await readFile(source, "utf8")));
    expect(JSON.parse((await cli(["build", "--json"], { cwd: dir })).stdout).functions[0].compiled).toBe(true);
    await writeFile(path.join(dir, "src/extra.h"), "#define EXTRA 2\n");
    expect(JSON.parse((await cli(["build", "--json"], { cwd: dir })).stdout).functions[0].compiled).toBe(true);
  });

  test("ferrite-wasm test runs the template's tests", async () => {
    const tested = await cli(["test"], { cwd: dir });
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests 5 passed/);
  });

  test("deploy loads it under MEMORY 1MB and redis-cli calls it", async () => {
    const server = await startServe([], tmp.dir);
    try {
      const deployed = await cli(["deploy", "--url", server.url, "--json"], { cwd: dir });
      expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
      expect(JSON.parse(deployed.stdout).functions[0]).toMatchObject({ name: "validate", ok: true, memory: "1MB", mismatches: [] });
      expect(await redisCli(server.port, ["WASM.CALL", "validate", '{"email": "ada@example.com"}'])).toBe('{"valid":true}');
      expect(await redisCli(server.port, ["WASM.CALL", "validate", "[1]"])).toBe("FUNCERR the input must be a JSON object");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("the blank template", () => {
  test("new -> build -> test -> call", async () => {
    const dir = path.join(tmp.dir, "c-blank");
    expect((await cli(["new", dir, "--lang", "c"], { cwd: tmp.dir })).code).toBe(0);
    const tested = await cli(["test"], { cwd: dir });
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests 3 passed/);
    expect((await cli(["call", "hello", "Ada"], { cwd: dir })).stdout.trim()).toBe("Hello, Ada!");
  });
});

describe("ferrite.h and ferrite_json.h", () => {
  let call: (name: string, ...args: (string | Uint8Array)[]) => ReturnType<ReturnType<typeof testRuntime>["rt"]["call"]>;
  let clockNow: () => number;

  beforeAll(async () => {
    const dir = await project("api", await readFile(path.join(FIXTURES, "c-api/api.c"), "utf8"), '[functions.keys]\nsource = "src/api.c"\ncapabilities = ["all"]\n');
    const built = await cli(["build"], { cwd: dir });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const wasm = new Uint8Array(await readFile(path.join(dir, "build/keys.wasm")));
    const { rt, clock } = testRuntime();
    clockNow = clock;
    for (const entry of ["keys", "arguments", "member", "valid", "host", "hog"]) {
      await rt.load(entry, wasm, { capabilities: ["all"], entry, memory: "1MB" });
    }
    call = (name, ...args) => rt.call(name, args);
  });

  test("keys: raw imports, blocks and the _str helpers", () => {
    const r = call("keys", "user:1", new Uint8Array([0, 10, 255]));
    expect(utf8(r.value)).toBe("stored=true read=true existed=true deleted=true after=false absent=true str=true ");
  });

  test("arguments exactly, and the input is them joined with \\n", () => {
    expect(utf8(call("arguments", "a", "b\nc", "").value)).toBe('3 "a" "b\\u000ac" "" end input=6');
    expect(utf8(call("arguments").value)).toBe("0 end input=0");
  });

  test("logs at each level, now, random and negative numbers", () => {
    const r = call("host");
    expect(r.logs.map((l) => `${l.level} ${l.message}`)).toEqual(["trace trace line", "debug debug line", "info info line", "warn warn line", "error error line"]);
    const [now, random, negative] = utf8(r.value)!.split(" ").map(Number);
    expect(now).toBe(clockNow());
    expect(random).toBeGreaterThanOrEqual(0);
    expect(random).toBeLessThan(1_000_000);
    expect(negative).toBe(-42);
  });

  test("ferrite_alloc returns 0 at the memory limit, and the call fails with the memory error", () => {
    expect(call("hog").error?.message).toBe("function 'hog' exceeded its memory limit of 1MB");
  });

  test("members: type, raw JSON, unescaped strings; the last of repeated keys wins", () => {
    expect(utf8(call("member", '{"a": "x\\u00e9\\ud83d\\ude00\\n\\"", "b": 1}', "a").value)).toBe('4 "x\\u00e9\\ud83d\\ude00\\n\\"" "xé😀\\u000a\\""');
    expect(utf8(call("member", '{"a": 1, "b": [1, {"c": 2}], "a": "last"}', "a").value)).toBe('4 "last" "last"');
    expect(utf8(call("member", '{"a": "x", "b": [1, {"c": 2}]}', "b").value)).toBe('5 [1, {"c": 2}]');
    expect(utf8(call("member", '{"\\u0061": true}', "a").value)).toBe("2 true");
    expect(utf8(call("member", '{"lone": "\\ud800"}', "lone").value)).toBe('4 "\\ud800" "\ufffd"');
    expect(call("member", '{"a": 1}', "b").error?.message).toBe("a required field is missing");
    expect(call("member", "[1]", "a").error?.message).toBe("the input must be a JSON object");
    expect(call("member", '{"a": 1', "a").error?.message).toBe("the input is not valid JSON");
  });

  test("the JSON checker follows RFC 8259", () => {
    const valid = ['{"a":[1,2.5e-3,-0,true,false,null,"\\"\\\\\\/\\b\\f\\n\\r\\t\\u1234"]}', " 1 ", '"x"', "[]", "{}", "-1.5E+10", "0"];
    const invalid = ["", "01", "1.", ".5", "+1", '"\\x"', "[1,]", '{"a" 1}', '{"a":1,}', "tru", '"a', '"\u0001"', "[1] 2", "{'a':1}", "NaN", "[", '{"a":}'];
    for (const doc of valid) expect(utf8(call("valid", doc).value), doc).toBe("valid");
    for (const doc of invalid) expect(utf8(call("valid", doc).value), doc).toBe("invalid");
  });

  test("nesting deeper than 128 is refused without recursing into it", () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(utf8(call("valid", nested(128)).value)).toBe("valid");
    expect(utf8(call("valid", nested(129)).value)).toBe("invalid");
    expect(utf8(call("valid", nested(100_000)).value)).toBe("invalid");
    expect(call("member", `{"a": ${nested(200)}}`, "a").error?.message).toBe("the input JSON is nested too deeply");
  });
});

describe("docs/lang-c.md", () => {
  test("its example function compiles as printed and counts visits", async () => {
    const page = await readFile(path.join(ROOT, "docs/lang-c.md"), "utf8");
    const example = /## A function\n\n```c\n([\s\S]*?)```/.exec(page)![1];
    const dir = await project("visit", example, '[functions.visit]\nsource = "src/visit.c"\ncapabilities = ["read", "write"]\n');
    const first = await cli(["call", "visit", "user:1"], { cwd: dir });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe("1");
    await writeFile(path.join(dir, "seed.json"), JSON.stringify({ "user:1": "41" }));
    expect((await cli(["call", "visit", "--store", "seed.json", "user:1"], { cwd: dir })).stdout.trim()).toBe("42");
  });
});

describe("errors", () => {
  test("a compile error names the file, line and column", async () => {
    const dir = await project("broken", '#include "ferrite.h"\nFERRITE_ENTRY(broken) int broken(const char *p, int n) {\n  return undefined_name;\n}\n', '[functions.broken]\nsource = "src/broken.c"\n');
    const built = await cli(["build"], { cwd: dir });
    expect(built.code).toBe(1);
    expect(built.stdout).toContain("src/broken.c:3:10 - error: use of undeclared identifier 'undefined_name'");
  });

  test("a libc call fails the link and says there is no C library", async () => {
    const dir = await project("libc", '#include "ferrite.h"\nunsigned long strlen(const char *);\nFERRITE_ENTRY(libc) int libc(const char *p, int n) {\n  return (int)strlen(p);\n}\n', '[functions.libc]\nsource = "src/libc.c"\n');
    const built = await cli(["build"], { cwd: dir });
    expect(built.code).toBe(1);
    expect(built.stdout).toMatch(/wasm-ld: .*undefined symbol: strlen \(the module has no C library: use ferrite\.h's helpers, e\.g\. ferrite_strlen, or define strlen yourself\)/);
  });

  test("without clang the build says what to install", async () => {
    const dir = await project("noclang", '#include "ferrite.h"\nFERRITE_ENTRY(noclang) int noclang(const char *p, int n) { return 0; }\n', '[functions.noclang]\nsource = "src/noclang.c"\n');
    const built = await cli(["build"], { cwd: dir, env: { FERRITE_CLANG: path.join(tmp.dir, "no-such-clang") } });
    expect(built.code).toBe(1);
    expect(built.stdout).toContain(`${path.join(tmp.dir, "no-such-clang")} does not run (ENOENT); install clang and lld: \`apt install clang lld\``);
  });
});
