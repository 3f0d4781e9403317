// The registry: load, replace, update, reload, unload, list, info, stats, plugins_dir.
import { describe, expect, test } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRuntime } from "../../runtime-sim/index.js";
import { echoWat, hostWat, testRuntime, utf8 } from "../helpers/runtime.js";
import { wat } from "../helpers/wat.js";

const plugins = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ferrite-plugins-"));
  writeFileSync(path.join(dir, "echo.wasm"), echoWat);
  return dir;
};

describe("registry", () => {
  test("list, info and stats show the specification's fields", async () => {
    const { rt, clock } = testRuntime();
    await rt.load("echo", echoWat, { capabilities: ["read", "write", "log"], memory: "10MB", timeoutMs: 1000 });
    await rt.load("counter", echoWat);
    expect(rt.list()).toEqual(["echo", "counter"]);
    rt.call("echo", ["x"]);
    rt.call("echo", ["y"]);
    await rt.load("status7", echoWat);
    rt.call("status7");
    const info = rt.info("echo");
    expect(info).toMatchObject({
      name: "echo",
      path: null,
      capabilities: ["read", "write", "log"],
      memory_limit: "10MB",
      timeout_ms: 1000,
      invocations: 2,
      errors: 0,
      entry: "echo",
    });
    expect(info.loaded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(info.avg_duration_ms).toBeGreaterThan(0);
    expect(rt.stats("echo")).toMatchObject({ invocations: 2, successful: 2, failed: 0, timeouts: 0, memory_used: "64KB", last_invocation: new Date(clock()).toISOString() });
    expect(rt.stats("echo").p99_duration_ms).toBeGreaterThan(0);
    const all = rt.stats();
    expect(all.totals).toEqual({ functions: 3, invocations: 3, successful: 2, failed: 1, timeouts: 0 });
    expect(Object.keys(all.functions)).toEqual(["echo", "counter", "status7"]);
  });

  test("defaults come from the spec's [wasm] section", async () => {
    const rt = createRuntime();
    expect(await rt.load("echo", echoWat)).toMatchObject({ capabilities: ["read", "log"], memory_limit: "10MB", timeout_ms: 1000 });
  });

  test("loading an existing name needs REPLACE", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    await expect(rt.load("echo", echoWat)).rejects.toThrow("function 'echo' already exists; add REPLACE to overwrite it");
    await expect(rt.load("echo", echoWat, { replace: true })).resolves.toMatchObject({ name: "echo" });
  });

  test("a failed REPLACE keeps the old function serving", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    await expect(rt.load("echo", new Uint8Array([1, 2, 3]), { replace: true })).rejects.toThrow(/not a WebAssembly module/);
    expect(utf8(rt.call("echo", ["ok"]).value)).toBe("ok");
  });

  test("capabilities: unknown and not allowed", async () => {
    const rt = createRuntime({ allowedCapabilities: ["read", "log"] });
    await expect(rt.load("echo", echoWat, { capabilities: ["foo"] as any })).rejects.toThrow("unknown capability 'foo'");
    await expect(rt.load("echo", echoWat, { capabilities: ["write"] })).rejects.toThrow(/capability 'write' is not allowed on this server \(allowed: read log\)/);
    expect((await rt.load("echo", echoWat, { capabilities: ["all"] })).capabilities).toEqual(["read", "log"]);
  });

  test("an explicit entry overrides the name rule", async () => {
    const rt = createRuntime();
    expect((await rt.load("tick", echoWat, { entry: "counter" })).entry).toBe("counter");
    await expect(rt.load("x", echoWat, { entry: "nope" })).rejects.toThrow(/no export 'nope'/);
  });

  test("max_functions", async () => {
    const rt = createRuntime({ maxFunctions: 2 });
    await rt.load("echo", echoWat, {});
    await rt.load("b", echoWat, { entry: "counter" });
    await expect(rt.load("c", echoWat)).rejects.toThrow(/2 functions are loaded, the most max_functions allows; unload one first/);
    await rt.load("echo", echoWat, { replace: true }); // replacing is not a new function
  });

  test("update changes capabilities and timeout for the next call", async () => {
    const { rt } = testRuntime();
    await rt.load("use_set", hostWat, { capabilities: ["read"] });
    expect(rt.call("use_set").error!.code).toBe("ERR_CAPABILITY");
    expect(await rt.update("use_set", { capabilities: ["write"], timeoutMs: 50 })).toMatchObject({ capabilities: ["write"], timeout_ms: 50 });
    expect(rt.call("use_set").ok).toBe(true);
    await expect(rt.update("use_set", { timeoutMs: 0 })).rejects.toThrow(/invalid timeout/);
    await expect(rt.update("nope", {})).rejects.toThrow("unknown function 'nope'");
  });

  test("unload", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    rt.unload("echo");
    expect(rt.list()).toEqual([]);
    expect(rt.call("echo").error!.reply).toBe("NOFUNC unknown function 'echo'");
    expect(() => rt.unload("echo")).toThrow("unknown function 'echo'");
  });
});

describe("files and plugins_dir", () => {
  test("loadFile resolves inside plugins_dir and reload re-reads the file", async () => {
    const dir = plugins();
    const rt = createRuntime({ pluginsDir: dir });
    const info = await rt.loadFile("echo", "echo.wasm");
    expect(info.path).toBe(path.join(dir, "echo.wasm"));
    const other = wat(`(module (import "env" "ferrite_return" (func $r (param i32 i32))) (memory (export "memory") 1) (data (i32.const 8) "v2")
      (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024)) (func (export "echo") (param i32 i32) (result i32) (call $r (i32.const 8) (i32.const 2)) (i32.const 0)))`);
    writeFileSync(path.join(dir, "echo.wasm"), other);
    await rt.update("echo", { timeoutMs: 77 });
    const reloaded = await rt.reload("echo");
    expect(reloaded.timeout_ms).toBe(77); // settings kept
    expect(utf8(rt.call("echo", ["x"]).value)).toBe("v2");
  });

  test("paths that escape plugins_dir are refused, symlinks included", async () => {
    const dir = plugins();
    const outside = mkdtempSync(path.join(tmpdir(), "ferrite-outside-"));
    writeFileSync(path.join(outside, "evil.wasm"), echoWat);
    mkdirSync(path.join(dir, "sub"));
    symlinkSync(path.join(outside, "evil.wasm"), path.join(dir, "sub", "link.wasm"));
    const rt = createRuntime({ pluginsDir: dir });
    await expect(rt.loadFile("x", "../" + path.basename(outside) + "/evil.wasm")).rejects.toThrow(/is outside plugins_dir .*WASM.LOADB/);
    await expect(rt.loadFile("x", path.join(outside, "evil.wasm"))).rejects.toThrow(/outside plugins_dir/);
    await expect(rt.loadFile("x", "sub/link.wasm")).rejects.toThrow(/outside plugins_dir/);
    await expect(rt.loadFile("x", "missing.wasm")).rejects.toThrow(/no module file at 'missing.wasm'/);
    expect(rt.list()).toEqual([]);
  });

  test("RELOAD of a function loaded from bytes says there is no file", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    await expect(rt.reload("echo")).rejects.toThrow("function 'echo' was loaded from bytes (WASM.LOADB) and has no file to reload; send the new module with WASM.LOADB echo <bytes> REPLACE");
  });
});
