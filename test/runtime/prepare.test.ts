// The module pipeline around the instrumentation: file -> bytes (regular files only, bounded) ->
// limits -> prepared (on the worker, or from the disk cache) -> loaded. Reload goes through the same
// path, still confined to plugins_dir.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createRuntime } from "../../runtime-sim/index.js";
import { bigModule } from "../helpers/big-module.js";
import { echoWat, utf8 } from "../helpers/runtime.js";

const dirs: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("module limits", () => {
  test("a module over max_module_size is refused before any work, naming both sizes and the fix", async () => {
    const rt = createRuntime({ maxModuleSize: "512" });
    expect(echoWat.byteLength).toBeGreaterThan(512);
    const err = await rt.load("echo", echoWat).catch((e) => e);
    expect(err.code).toBe("ERR_MODULE_LIMIT");
    expect(err.message).toMatch(new RegExp(`^cannot load 'echo': the module is [\\d.]+B \\(${echoWat.byteLength} bytes\\), above the module size limit of 512B \\(max_module_size\\); .*raise \\[wasm\\] max_module_size$`));
    expect(rt.list()).toEqual([]);
  });

  test("a module defining more functions than max_module_functions is refused", async () => {
    const rt = createRuntime({ maxModuleFunctions: 100 });
    const err = await rt.load("big", bigModule({ functions: 150, salt: "limit" })).catch((e) => e);
    expect(err.code).toBe("ERR_MODULE_LIMIT");
    expect(err.message).toBe("cannot load 'big': the module defines 152 functions, above the limit of 100 (max_module_functions); split it into smaller modules or raise [wasm] max_module_functions");
    // Within the limit it loads, and runs.
    const ok = createRuntime({ maxModuleFunctions: 152 });
    await ok.load("big", bigModule({ functions: 150, salt: "limit" }));
    expect(ok.call("big").ok).toBe(true);
  });

  test("the defaults take a 20,000-function module", async () => {
    const rt = createRuntime();
    const info = await rt.load("big", bigModule({ functions: 20_000, filler: 0, salt: "defaults" }));
    expect(info.size_bytes).toBeGreaterThan(200_000);
    expect(rt.call("big").ok).toBe(true);
  });
});

describe("module files", () => {
  const plugins = () => {
    const dir = temp("ferrite-prepare-plugins-");
    writeFileSync(path.join(dir, "echo.wasm"), echoWat);
    return dir;
  };

  test("a FIFO is refused at once (opened without blocking), and a normal load works after it", async () => {
    const dir = plugins();
    execFileSync("mkfifo", [path.join(dir, "pipe.wasm")]);
    const rt = createRuntime({ pluginsDir: dir });
    // More loads than libuv has file threads (4): none may hang, or the last load would.
    const errors = await Promise.all([1, 2, 3, 4, 5].map((i) => rt.loadFile(`p${i}`, "pipe.wasm").catch((e) => e)));
    for (const err of errors) {
      expect(err.code).toBe("ERR_PATH");
      expect(err.message).toMatch(/^cannot load 'p\d': .*pipe\.wasm is a FIFO \(named pipe\), not a regular file; point to the module file itself \(or send its bytes with WASM\.LOADB\)$/);
    }
    const info = await rt.loadFile("echo", "echo.wasm");
    expect(info.path).toBe(path.join(dir, "echo.wasm"));
    expect(utf8(rt.call("echo", ["still fine"]).value)).toBe("still fine");
  });

  test("a directory, a device and a file over the size limit are refused, each named", async () => {
    const dir = plugins();
    mkdirSync(path.join(dir, "folder.wasm"));
    const rt = createRuntime({ pluginsDir: dir, maxModuleSize: 512 });
    await expect(rt.loadFile("f", "folder.wasm")).rejects.toThrow(/folder\.wasm is a directory, not a regular file/);
    await expect(rt.loadFile("e", "echo.wasm")).rejects.toThrow(new RegExp(`echo\\.wasm is [\\d.]+B \\(${echoWat.byteLength} bytes\\), above the module size limit of 512B \\(max_module_size\\)`));
    const anywhere = createRuntime(); // no plugins_dir: any path
    await expect(anywhere.loadFile("z", "/dev/zero")).rejects.toThrow("cannot load 'z': /dev/zero is a character device, not a regular file");
  });

  test("a source map that is a FIFO is refused too (it is read with the module)", async () => {
    const dir = plugins();
    execFileSync("mkfifo", [path.join(dir, "echo.wasm.map")]);
    const rt = createRuntime({ pluginsDir: dir });
    await expect(rt.loadFile("echo", "echo.wasm")).rejects.toThrow(/echo\.wasm\.map is a FIFO \(named pipe\), not a regular file/);
  });

  test("reload re-reads through the same checks: plugins_dir confinement and regular files", async () => {
    const dir = plugins();
    const outside = temp("ferrite-prepare-outside-");
    writeFileSync(path.join(outside, "echo.wasm"), echoWat);
    const rt = createRuntime({ pluginsDir: dir });
    await rt.loadFile("echo", "echo.wasm");
    expect(rt.source("echo")).toMatchObject({ path: path.join(dir, "echo.wasm"), sourceMap: undefined, entry: undefined });
    expect(Buffer.from(rt.source("echo").bytes).equals(Buffer.from(echoWat))).toBe(true);

    rmSync(path.join(dir, "echo.wasm"));
    symlinkSync(path.join(outside, "echo.wasm"), path.join(dir, "echo.wasm"));
    await expect(rt.reload("echo")).rejects.toThrow(/^cannot reload 'echo': path '.*echo\.wasm' is outside plugins_dir .*; restore the file or load the function again$/);

    rmSync(path.join(dir, "echo.wasm"));
    execFileSync("mkfifo", [path.join(dir, "echo.wasm")]);
    await expect(rt.reload("echo")).rejects.toThrow(/^cannot reload 'echo': .*echo\.wasm is a FIFO \(named pipe\), not a regular file/);

    rmSync(path.join(dir, "echo.wasm"));
    await expect(rt.reload("echo")).rejects.toThrow(/^cannot reload 'echo': no module file at '.*echo\.wasm'/);
    expect(utf8(rt.call("echo", ["kept"]).value)).toBe("kept"); // a failed reload changes nothing
  });

  test("a load from bytes can say which file they came from, so reload reads it", async () => {
    const dir = plugins();
    const rt = createRuntime({ pluginsDir: dir });
    await rt.load("echo", echoWat, { path: path.join(dir, "echo.wasm") });
    expect(rt.info("echo").path).toBe(path.join(dir, "echo.wasm"));
    await rt.reload("echo");
    expect(utf8(rt.call("echo", ["again"]).value)).toBe("again");
  });
});
