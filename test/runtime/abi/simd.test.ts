// SIMD is not part of ABI v1 (docs/abi.md#module-requirements): a module that uses it is refused at
// load with an error naming SIMD, the function, and the build flag that leaves it out.
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../../runtime-sim/index.js";
import { wat } from "../../helpers/wat.js";

const base = `(memory (export "memory") 1) (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8))`;
const fix = "build without SIMD (AssemblyScript: leave out --enable simd; Rust: -C target-feature=-simd128; C: -mno-simd128)";

describe("SIMD", () => {
  test.each([
    ["a v128 add in the entry", `(func (export "run") (param i32 i32) (result i32) (drop (i32x4.add (v128.load (i32.const 0)) (v128.const i32x4 1 2 3 4))) (i32.const 0))`, "in function 'run'"],
    ["a v128 store in a helper never called", `(func $h (v128.store (i32.const 0) (v128.const i64x2 0 0))) (func (export "run") (param i32 i32) (result i32) (i32.const 0))`, "in function '"],
    ["a v128 local", `(func (export "run") (param i32 i32) (result i32) (local v128) (i32.const 0))`, "a v128 parameter, result or local in function 'run'"],
    ["a v128 global", `(global $g (mut v128) (v128.const i32x4 0 0 0 0)) (func (export "run") (param i32 i32) (result i32) (i32.const 0))`, "the v128 global"],
  ])("%s is refused at load", async (_what, body, where) => {
    const rt = createRuntime();
    const e = await rt.load("run", wat(`(module ${base} ${body})`)).catch((x) => x);
    expect(e.code).toBe("ERR_UNSUPPORTED");
    expect(e.message).toMatch(/^cannot load 'run': the module uses SIMD \(/);
    expect(e.message).toContain(where);
    expect(e.message).toContain(`which ABI v1 does not allow; ${fix}`);
    expect(rt.list()).toEqual([]);
  });

  test("the same module without SIMD loads and runs", async () => {
    const rt = createRuntime();
    await rt.load("run", wat(`(module ${base} (func (export "run") (param i32 i32) (result i32) (drop (i32.add (i32.load (i32.const 0)) (i32.const 1))) (i32.const 0)))`));
    expect(rt.call("run").ok).toBe(true);
  });
});
