// The specification's AssemblyScript example, verbatim (fixtures/spec/validate.ts is its code block
// byte for byte), built with `ferrite-wasm build`, deployed to `ferrite-wasm serve` and called with
// redis-cli; then the rest of what its imports promise: assemblyscript-json's documented API and
// every method of @ferrite/as-sdk's `ferrite` class, run on the runtime.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { compile } from "../../cli/build/asc.js";
import { resolvePackageFile } from "../../cli/build/as-packages.js";
import { toolkitRoot } from "../../cli/shared/toolkit.js";
import { manualClock, seededRandom } from "../../runtime-sim/testing.js";
import { testRuntime, utf8 } from "../helpers/runtime.js";
import { redisCli } from "../helpers/server.js";
import { cli, ensureCliBuilt, tempDir } from "../cli/helpers/cli.js";
import { startServe, type ServeProcess } from "../cli/helpers/serve.js";
import { FIXTURES } from "./helpers.js";

// Each test runs the CLI (and asc or clang) as a process: these bound a hang, not a speed.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });


let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-lang-as-");
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe("the specification's example, as written", () => {
  let project: string;
  let server: ServeProcess | undefined;
  beforeAll(async () => {
    project = path.join(tmp.dir, "spec");
    await mkdir(path.join(project, "assembly"), { recursive: true });
    await copyFile(path.join(FIXTURES, "spec/validate.ts"), path.join(project, "assembly/index.ts"));
    // The specification loads it with CAPABILITIES read write log MEMORY 10MB TIMEOUT 1000.
    await writeFile(
      path.join(project, "ferrite.toml"),
      '[functions.validate]\nsource = "assembly/index.ts"\ncapabilities = ["read", "write", "log"]\nmemory = "10MB"\ntimeout_ms = 1000\n',
    );
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  test("builds with ferrite-wasm build: @ferrite/as-sdk and assemblyscript-json resolve with nothing installed", async () => {
    const built = await cli(["build", "--json"], { cwd: project });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const report = JSON.parse(built.stdout);
    expect(report.functions[0]).toMatchObject({ name: "validate", ok: true });
    expect(report.functions[0].diagnostics.filter((d: { category: string }) => d.category === "error")).toEqual([]);
    expect(report.functions[0].report.imports.sort()).toEqual(["env.ferrite_error", "env.ferrite_return"]);
  });

  test("deployed to a server, WASM.CALL answers {\"valid\": true}", async () => {
    server = await startServe([], tmp.dir);
    const deployed = await cli(["deploy", "--url", server.url], { cwd: project });
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(await redisCli(server.port, ["WASM.CALL", "validate", '{"email": "test@example.com"}'])).toBe('{"valid": true}');
    expect(await redisCli(server.port, ["WASM.CALL", "validate", '{"email": "nobody"}'])).toBe('{"valid": false}');
  });

  test("a missing field fails at the user's own line, not inside a library", async () => {
    const reply = await redisCli(server!.port, ["WASM.CALL", "validate", '{"name": "Ada"}']);
    expect(reply).toBe("FUNCERR Unexpected 'null' (not assigned or failed cast) at assembly/index.ts:9:17");
  });

  test("input that is not an object fails at the cast on the user's line", async () => {
    expect(await redisCli(server!.port, ["WASM.CALL", "validate", "[1, 2]"])).toBe("FUNCERR invalid downcast at assembly/index.ts:7:26");
  });
});

describe("assemblyscript-json and @ferrite/as-sdk, whole API", () => {
  const entries = ["parse", "encode", "decode", "sdk", "failing", "fetch"];
  let call: (name: string, ...args: string[]) => ReturnType<ReturnType<typeof testRuntime>["rt"]["call"]>;
  let clock: ReturnType<typeof manualClock>;

  beforeAll(async () => {
    const result = await compile({ entry: path.join(FIXTURES, "as-compat/compat.ts"), cwd: path.join(FIXTURES, "as-compat"), sourceMap: false });
    expect(result.diagnostics.filter((d) => d.category === "error"), result.log).toEqual([]);
    clock = manualClock(Date.UTC(2026, 4, 1));
    const { rt } = testRuntime({ clock, random: seededRandom(3) });
    for (const entry of entries) await rt.load(entry, result.wasm!, { capabilities: ["all"], entry });
    call = (name, ...args) => rt.call(name, args);
  });

  test("JSON.parse and every getter of JSON.Obj", () => {
    const r = call("parse", '{"s":"str","i":42,"f":1.5,"b":true,"a":[1,2,3],"o":{"k":"v"},"n":null}');
    expect(r.error).toBeNull();
    expect(utf8(r.value)).toBe('str|42|1.5|1.5|yes|3|v|null|missing|i is not a string|has s|s,i,f,b,a,o,n|"str"|[1,2,3]');
  });

  test("JSONEncoder, JSON.Value constructors and JSON.from", () => {
    const [encoded, built, bytes] = utf8(call("encode").value)!.split("\n");
    expect(JSON.parse(encoded)).toEqual({ name: 'Ada "L"', year: 1815, ratio: 0.5, ok: true, none: null, list: [1, 2] });
    expect(JSON.parse(built)).toEqual({ n: 7, s: "x", list: [1, 2, 3] });
    expect(Number(bytes)).toBe(Buffer.byteLength(encoded));
  });

  test("JSONDecoder drives a JSONHandler", () => {
    const r = call("decode", '{"a":[1,2.5,"x",true,null,{"b":false}]}');
    expect(utf8(r.value)!.split(";")).toEqual(["{ ", "[ a", "int =1", "float =2.5", "string =x", "bool =true", "null ", "{ ", "bool b=false", "}", "]", "}"]);
  });

  test("the ferrite class: keys, arguments, input, logs, now, random", () => {
    const r = call("sdk", "user:1");
    expect(r.error).toBeNull();
    expect(utf8(r.value)).toBe(`true text true true 3 true false absent no more args 6 6 ${clock()} random ok`);
    expect(r.logs.map((l) => [l.level, l.message])).toEqual([
      ["info", "info from the ferrite class"],
      ["error", "error from the ferrite class"],
    ]);
    expect(r.writes.map((w) => utf8(w.key))).toEqual(["user:1", "user:1:b", "user:1"]);
  });

  test("ferrite.error fails the call and discards the reply", () => {
    const r = call("failing");
    expect(r.ok).toBe(false);
    expect(r.error?.message).toBe("failed on purpose");
  });

  test("ferrite.http sends a request through the host", () => {
    const r = call("fetch", "http://127.0.0.1:9/");
    expect(JSON.parse(utf8(r.value)!)).toMatchObject({ status: 0, error: expect.stringContaining("allow-list") });
  });
});

describe("package resolution asc does not do itself", () => {
  test("@ferrite/as-sdk is the toolkit's sdk/as-sdk.ts wherever asc looks for it", () => {
    const root = toolkitRoot();
    expect(resolvePackageFile("/home/me/fn/node_modules/@ferrite/as-sdk/index.ts", root)).toBe(path.join(root, "sdk/as-sdk.ts"));
    expect(resolvePackageFile("/home/me/fn/node_modules/@ferrite/as-sdk/other.ts", root)).toBe("/home/me/fn/node_modules/@ferrite/as-sdk/other.ts");
  });

  test("a package's ascMain folder and its assembly/ folder are searched", async () => {
    const project = path.join(tmp.dir, "ascmain");
    const pkg = path.join(project, "node_modules/twice-lib");
    await mkdir(path.join(pkg, "src"), { recursive: true });
    await mkdir(path.join(project, "assembly"), { recursive: true });
    await writeFile(path.join(pkg, "package.json"), JSON.stringify({ name: "twice-lib", ascMain: "src/index.ts" }));
    await writeFile(path.join(pkg, "src/index.ts"), 'export { twice } from "./math";\n');
    await writeFile(path.join(pkg, "src/math.ts"), "export function twice(x: i32): i32 { return x * 2; }\n");
    await writeFile(
      path.join(project, "assembly/index.ts"),
      'import { twice } from "twice-lib";\nimport { ferrite } from "@ferrite/as-sdk";\nexport function calc(ptr: usize, len: usize): i32 {\n  ferrite.return(twice(I32.parseInt(ferrite.input(ptr, len))).toString());\n  return 0;\n}\n',
    );
    await writeFile(path.join(project, "ferrite.toml"), '[functions.calc]\nsource = "assembly/index.ts"\n');
    const called = await cli(["call", "calc", "21"], { cwd: project });
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout.trim()).toBe("42");
  });

  test("a project's own assemblyscript-json is used before the toolkit's", async () => {
    const project = path.join(tmp.dir, "own-json");
    const pkg = path.join(project, "node_modules/assemblyscript-json");
    await mkdir(path.join(pkg, "assembly"), { recursive: true });
    await mkdir(path.join(project, "assembly"), { recursive: true });
    await writeFile(path.join(pkg, "package.json"), JSON.stringify({ name: "assemblyscript-json", version: "0.0.1-local" }));
    await writeFile(path.join(pkg, "assembly/index.ts"), 'export function which(): string { return "the project\'s own"; }\n');
    await writeFile(
      path.join(project, "assembly/index.ts"),
      'import { which } from "assemblyscript-json";\nimport { ferrite } from "@ferrite/as-sdk";\nexport function own(ptr: usize, len: usize): i32 {\n  ferrite.return(which());\n  return 0;\n}\n',
    );
    await writeFile(path.join(project, "ferrite.toml"), '[functions.own]\nsource = "assembly/index.ts"\n');
    const called = await cli(["call", "own"], { cwd: project });
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout.trim()).toBe("the project's own");
  });
});
