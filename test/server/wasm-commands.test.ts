// Every WASM.* command and its error texts, through the real redis-cli binary.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ECHO_WASM, startTestServer, type TestServer } from "../helpers/server.js";
import { wat } from "../helpers/wat.js";

const ABI = `(memory (export "memory") 1)
  (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "h") (param i32 i32) (result i32) (i32.const 0))`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ wasm: { default_timeout_ms: 200 } });
  await writeFile(path.join(t.dir, "outside.wasm"), ECHO_WASM); // exists, but not in plugins_dir
});
afterAll(() => t?.close());

describe("WASM.LOAD", () => {
  test("loads from plugins_dir and the function answers WASM.CALL", async () => {
    expect(await t.cli(["WASM.LOAD", "echo", "echo.wasm", "CAPABILITIES", "read", "write", "MEMORY", "2MB", "TIMEOUT", "500"])).toBe("OK");
    expect(await t.cli(["WASM.CALL", "echo", "hello", "world"])).toBe("hello\nworld");
    const info = JSON.parse(await t.cli(["WASM.INFO", "echo"]));
    expect(info).toMatchObject({
      name: "echo",
      path: path.join(await realDir(t.pluginsDir), "echo.wasm"),
      capabilities: ["read", "write"],
      memory_limit: "2MB",
      timeout_ms: 500,
      invocations: 1,
      errors: 0,
    });
    expect(typeof info.loaded_at).toBe("string");
    expect(typeof info.avg_duration_ms).toBe("number");
  });

  test("keywords are case-insensitive", async () => {
    expect(await t.cli(["wasm.load", "counter", "echo.wasm", "capabilities", "LOG", "memory", "1mb", "timeout", "100"])).toBe("OK");
    expect(JSON.parse(await t.cli(["WASM.INFO", "counter"])).capabilities).toEqual(["log"]);
  });

  test("a name that exists needs REPLACE", async () => {
    expect(await t.cli(["WASM.LOAD", "echo", "echo.wasm"])).toBe("EXISTS function 'echo' already exists; add REPLACE to overwrite it");
    expect(await t.cli(["WASM.LOAD", "echo", "echo.wasm", "REPLACE", "CAPABILITIES", "read", "write"])).toBe("OK");
  });

  test("refuses a path outside plugins_dir", async () => {
    const reply = await t.cli(["WASM.LOAD", "x", "../outside.wasm"]);
    expect(reply).toMatch(/^ERR path '\.\.\/outside\.wasm' is outside plugins_dir/);
    expect(reply).toContain("WASM.LOADB");
    expect(await t.cli(["WASM.LOAD", "x", path.join(t.dir, "outside.wasm")])).toMatch(/is outside plugins_dir/);
  });

  test("names a missing file", async () => {
    expect(await t.cli(["WASM.LOAD", "x", "nope.wasm"])).toMatch(/^ERR no module file at 'nope\.wasm'/);
  });

  test("unknown capability, invalid memory, invalid timeout, syntax", async () => {
    expect(await t.cli(["WASM.LOAD", "x", "echo.wasm", "CAPABILITIES", "read", "teleport"])).toBe("ERR unknown capability 'teleport'");
    expect(await t.cli(["WASM.LOAD", "x", "echo.wasm", "MEMORY", "10XB"])).toBe("ERR invalid memory limit '10XB'");
    expect(await t.cli(["WASM.LOAD", "x", "echo.wasm", "TIMEOUT", "soon"])).toMatch(/^ERR invalid timeout 'soon'/);
    expect(await t.cli(["WASM.LOAD", "x", "echo.wasm", "FAST"])).toMatch(/^ERR syntax error: unexpected 'FAST' in WASM.LOAD/);
    expect(await t.cli(["WASM.LOAD", "x", "echo.wasm", "MEMORY"])).toMatch(/^ERR syntax error: MEMORY needs a value/);
    expect(await t.cli(["WASM.LOAD", "x", "echo.wasm", "TIMEOUT", "5", "TIMEOUT", "6"])).toMatch(/TIMEOUT given twice/);
    expect(await t.cli(["WASM.LIST"])).not.toContain("x");
  });

  test("a file that is not WebAssembly is refused with a reason", async () => {
    await writeFile(path.join(t.pluginsDir, "junk.wasm"), "not wasm at all");
    expect(await t.cli(["WASM.LOAD", "junk", "junk.wasm"])).toMatch(/^INVALIDMODULE cannot load 'junk': /);
  });
});

describe("WASM.LOADB", () => {
  test("loads bytes sent with redis-cli -x", async () => {
    expect(await t.cli(["-x", "WASM.LOADB", "status7"], { input: ECHO_WASM })).toBe("OK");
    expect(await t.cli(["WASM.CALL", "status7"])).toBe("FUNCERR function 'status7' returned status 7");
    expect(JSON.parse(await t.cli(["WASM.INFO", "status7"])).path).toBeNull();
  });

  test("RELOAD of a LOADB function says it has no file", async () => {
    expect(await t.cli(["WASM.RELOAD", "status7"])).toMatch(/^ERR function 'status7' was loaded from bytes \(WASM.LOADB\) and has no file to reload/);
  });

  test("bytes that are not a module", async () => {
    expect(await t.cli(["-x", "WASM.LOADB", "bad"], { input: "\x00asm junk" })).toMatch(/^INVALIDMODULE cannot load 'bad'/);
  });
});

describe("WASM.CALL and WASM.CALLREAD", () => {
  test("unknown function", async () => {
    expect(await t.cli(["WASM.CALL", "nope", "a"])).toBe("NOFUNC unknown function 'nope'");
    expect(await t.cli(["WASM.CALLREAD", "nope"])).toBe("NOFUNC unknown function 'nope'");
  });

  test("a function that returns nothing replies nil", async () => {
    expect(await t.cli(["-x", "WASM.LOADB", "grow"], { input: ECHO_WASM })).toBe("OK");
    expect(await t.cli(["WASM.CALL", "grow", "\x01"])).toBe("");
    expect(await t.cli(["-3", "WASM.CALL", "grow", "\x01"])).toBe("");
  });

  test("failures are error lines whose first word is the kind: ferrite_error, timeout, write in CALLREAD", async () => {
    await t.cli(["WASM.LOAD", "write_then_fail", "echo.wasm", "CAPABILITIES", "write"]);
    expect(await t.cli(["WASM.CALL", "write_then_fail"])).toBe("FUNCERR boom");
    expect(await t.cli(["WASM.CALLREAD", "write_then_fail"])).toBe("NOWRITE function 'write_then_fail' attempted a write in WASM.CALLREAD");
    await t.cli(["WASM.LOAD", "spin", "echo.wasm", "TIMEOUT", "50"]);
    expect(await t.cli(["WASM.CALL", "spin"])).toBe("TIMEOUT function 'spin' timed out after 50 ms");
    expect(await t.cli(["PING"])).toBe("PONG"); // the server goes on
  });

  test("a missing capability fails the call", async () => {
    await t.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read"]);
    expect(await t.cli(["WASM.CALL", "kv_set", "k", "v"])).toBe("NOCAP function 'kv_set' lacks capability 'write' (ferrite_set)");
  });

  test("CALLREAD runs a reading function", async () => {
    await t.cli(["SET", "greeting", "hi"]);
    await t.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
    expect(await t.cli(["WASM.CALLREAD", "kv_get", "greeting"])).toBe("hi");
  });
});

describe("WASM.UPDATE, RELOAD, UNLOAD, LIST, STATS", () => {
  test("UPDATE changes settings; takes no REPLACE", async () => {
    expect(await t.cli(["WASM.UPDATE", "kv_set", "CAPABILITIES", "write", "TIMEOUT", "300"])).toBe("OK");
    expect(await t.cli(["WASM.CALL", "kv_set", "k", "v"])).toBe("OK");
    expect(JSON.parse(await t.cli(["WASM.INFO", "kv_set"]))).toMatchObject({ capabilities: ["write"], timeout_ms: 300 });
    expect(await t.cli(["WASM.UPDATE", "kv_set", "REPLACE"])).toMatch(/^ERR syntax error: unexpected 'REPLACE' in WASM.UPDATE/);
    expect(await t.cli(["WASM.UPDATE", "nope", "TIMEOUT", "5"])).toBe("NOFUNC unknown function 'nope'");
    expect(await t.cli(["WASM.UPDATE", "kv_set", "MEMORY", "1GBX"])).toBe("ERR invalid memory limit '1GBX'");
  });

  test("RELOAD re-reads the file and keeps the settings", async () => {
    expect(await t.cli(["WASM.RELOAD", "kv_set"])).toBe("OK");
    expect(JSON.parse(await t.cli(["WASM.INFO", "kv_set"]))).toMatchObject({ capabilities: ["write"], timeout_ms: 300 });
    expect(await t.cli(["WASM.RELOAD", "nope"])).toBe("NOFUNC unknown function 'nope'");
  });

  test("LIST is an array of names in load order", async () => {
    const names = (await t.cli(["WASM.LIST"])).split("\n");
    expect(names.slice(0, 2)).toEqual(["echo", "counter"]);
    expect(names).toContain("kv_set");
  });

  test("STATS of one function and of all, with totals", async () => {
    await t.cli(["WASM.CALL", "echo", "x"]);
    const one = JSON.parse(await t.cli(["WASM.STATS", "echo"]));
    expect(Object.keys(one)).toEqual(expect.arrayContaining(["invocations", "successful", "failed", "avg_duration_ms", "p99_duration_ms", "memory_used", "last_invocation"]));
    const all = JSON.parse(await t.cli(["WASM.STATS"]));
    expect(all.functions.echo.invocations).toBeGreaterThan(0);
    expect(all.totals.functions).toBe((await t.cli(["WASM.LIST"])).split("\n").length);
    expect(await t.cli(["WASM.STATS", "nope"])).toBe("NOFUNC unknown function 'nope'");
    expect(await t.cli(["WASM.STATS", "a", "b"])).toBe("ERR wrong number of arguments for 'wasm.stats' command");
  });

  test("UNLOAD removes it", async () => {
    expect(await t.cli(["WASM.UNLOAD", "counter"])).toBe("OK");
    expect(await t.cli(["WASM.CALL", "counter"])).toBe("NOFUNC unknown function 'counter'");
    expect(await t.cli(["WASM.UNLOAD", "counter"])).toBe("NOFUNC unknown function 'counter'");
  });
});

describe("hostile modules get an error, the server goes on", () => {
  test.each([
    ["a start function that never returns", `(module ${ABI} (func $s (loop $l (br $l))) (start $s))`, /^TIMEOUT function 'h' timed out while starting up \(after 1000 ms\)/],
    ["an import outside the ABI", `(module (import "env" "system" (func (param i32))) ${ABI})`, /^INVALIDMODULE cannot load 'h': .*system/],
    ["an initial memory above the limit", `(module (memory (export "memory") 200) (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8)) (func (export "h") (param i32 i32) (result i32) (i32.const 0)))`, /^MEMORY cannot load 'h': its initial memory is 12800KB .*raise MEMORY/],
    ["no ferrite_alloc export", `(module (memory (export "memory") 1) (func (export "h") (param i32 i32) (result i32) (i32.const 0)))`, /^INVALIDMODULE cannot load 'h': .*ferrite_alloc/],
  ])("%s", async (_what, source, error) => {
    expect(await t.cli(["-x", "WASM.LOADB", "h"], { input: wat(source) })).toMatch(error);
    expect(await t.cli(["PING"])).toBe("PONG");
  });

  test("a function that recurses forever traps; one that grows memory hits its limit", async () => {
    const mod = wat(`(module ${ABI.replace('(func (export "h") (param i32 i32) (result i32) (i32.const 0))', "")}
      (func $r (export "r") (param i32 i32) (result i32) (call $r (local.get 0) (local.get 1)))
      (func (export "g") (param i32 i32) (result i32) (drop (memory.grow (i32.const 1000))) (i32.const 0)))`);
    expect(await t.cli(["-x", "WASM.LOADB", "r"], { input: mod })).toBe("OK");
    expect(await t.cli(["WASM.CALL", "r"])).toMatch(/^TRAP function 'r' trapped: call stack exhausted/);
    expect(await t.cli(["-x", "WASM.LOADB", "g"], { input: mod })).toBe("OK");
    expect(await t.cli(["WASM.CALL", "g"])).toBe("MEMORY function 'g' exceeded its memory limit of 10MB");
    expect(await t.cli(["PING"])).toBe("PONG");
  });
});

describe("command errors", () => {
  test.each([
    [["WASM.LOAD"], "wasm.load"],
    [["WASM.LOAD", "x"], "wasm.load"],
    [["WASM.LOADB", "x"], "wasm.loadb"],
    [["WASM.CALL"], "wasm.call"],
    [["WASM.CALLREAD"], "wasm.callread"],
    [["WASM.UNLOAD"], "wasm.unload"],
    [["WASM.RELOAD", "a", "b"], "wasm.reload"],
    [["WASM.INFO"], "wasm.info"],
    [["WASM.LIST", "x"], "wasm.list"],
    [["WASM.UPDATE", "x"], "wasm.update"],
  ])("wrong arity: %j", async (args, name) => {
    expect(await t.cli(args)).toBe(`ERR wrong number of arguments for '${name}' command`);
  });

  test("unknown command: Redis's exact text", async () => {
    expect(await t.cli(["foo", "a", "b"])).toBe("ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
    expect(await t.cli(["WASM.NOPE"])).toBe("ERR unknown command 'WASM.NOPE', with args beginning with: ");
  });
});

async function realDir(dir: string): Promise<string> {
  const { realpath } = await import("node:fs/promises");
  return realpath(dir);
}
