// MEMORY: parsed in powers of 1024; the initial memory must fit; growth past the limit fails the call.
import { describe, expect, test } from "vitest";
import { createRuntime, formatBytes, parseMemoryLimit } from "../../../runtime-sim/index.js";
import { wat } from "../../helpers/wat.js";
import { echoWat } from "../../helpers/runtime.js";

describe("memory limit values", () => {
  test.each([
    ["10MB", 10 * 1024 * 1024],
    ["10mb", 10 * 1024 * 1024],
    ["512KB", 512 * 1024],
    ["1GB", 1024 ** 3],
    ["65536", 65536],
    ["100B", 100],
    [4096, 4096],
  ])("%s", (text, bytes) => {
    expect(parseMemoryLimit(text)).toBe(bytes);
  });

  test.each(["10XB", "", "MB", "-1MB", "0", "5GB"])("'%s' is refused", (text) => {
    expect(() => parseMemoryLimit(text)).toThrow(`invalid memory limit '${text}'`);
  });

  test("formatting is exact", () => {
    expect(formatBytes(10 * 1024 * 1024)).toBe("10MB");
    expect(formatBytes(1536)).toBe("1536B");
    expect(formatBytes(3 * 1024)).toBe("3KB");
  });
});

describe("memory limit enforcement", () => {
  test("an initial memory above the limit fails the load, saying how much is needed", async () => {
    const rt = createRuntime();
    const big = wat(`(module (memory (export "memory") 20) (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8)) (func (export "run") (param i32 i32) (result i32) (i32.const 0)))`);
    await expect(rt.load("run", big, { memory: "1MB" })).rejects.toThrow(
      "cannot load 'run': its initial memory is 1280KB (20 pages of 64KB), above its memory limit of 1MB; raise MEMORY to at least 1280KB or build with less initial memory",
    );
    await expect(rt.load("run", big, { memory: "2MB" })).resolves.toMatchObject({ memory_limit: "2MB" });
  });

  test("growth past the limit fails with the memory message, then calls go on", async () => {
    const rt = createRuntime();
    await rt.load("grow", echoWat, { memory: "1MB" });
    const r = rt.call("grow", [new Uint8Array([16])]); // 1 + 16 pages > 16
    expect(r.error!.reply).toBe("MEMORY function 'grow' exceeded its memory limit of 1MB");
    expect(rt.call("grow", [new Uint8Array([15])]).ok).toBe(true); // exactly 16 pages: allowed
    expect(rt.stats("grow").memory_used_bytes).toBe(16 * 65536);
  });

  test("a huge grow request cannot wrap around the check", async () => {
    const rt = createRuntime();
    await rt.load("g", wat(`(module (memory (export "memory") 1) (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8))
      (func (export "g") (param i32 i32) (result i32) (drop (memory.grow (i32.const -1))) (i32.const 0)))`), { memory: "1MB" });
    expect(rt.call("g").error!.code).toBe("ERR_MEMORY");
  });

  test("UPDATE MEMORY takes effect on the next call", async () => {
    const rt = createRuntime();
    await rt.load("grow", echoWat, { memory: "1MB" });
    expect(rt.call("grow", [new Uint8Array([20])]).ok).toBe(false);
    await rt.update("grow", { memory: "2MB" });
    expect(rt.call("grow", [new Uint8Array([20])]).ok).toBe(true);
    await expect(rt.update("grow", { memory: "10XB" })).rejects.toThrow("invalid memory limit '10XB'");
  });
});
