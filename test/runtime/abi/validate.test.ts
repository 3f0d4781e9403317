// Each broken module is refused at load with an error that names the problem and the fix.
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../../runtime-sim/index.js";
import { wat } from "../../helpers/wat.js";
import { echoWat } from "../../helpers/runtime.js";

const alloc = `(func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8))`;
const entry = `(func (export "run") (param i32 i32) (result i32) (i32.const 0))`;
const mod = (body: string) => wat(`(module ${body})`);

async function loadError(bytes: Uint8Array, name = "run") {
  const rt = createRuntime();
  const err = await rt.load(name, bytes).then(() => null, (e) => e);
  expect(err, "load should fail").not.toBeNull();
  expect(rt.list()).toEqual([]);
  return err;
}

describe("module checks at load", () => {
  test("accepts a minimal hand-written module", async () => {
    const rt = createRuntime();
    const info = await rt.load("run", mod(`(memory (export "memory") 1) ${alloc} ${entry}`));
    expect(info.entry).toBe("run");
  });

  test("not wasm at all", async () => {
    const err = await loadError(new TextEncoder().encode("hello, this is not a module"));
    expect(err.code).toBe("ERR_INVALID_MODULE");
    expect(err.message).toMatch(/does not start with \\0asm/);
  });

  test("wasm text instead of binary says to convert it", async () => {
    const err = await loadError(new TextEncoder().encode("(module (memory 1))"));
    expect(err.message).toMatch(/wat2wasm/);
  });

  test("a component or other binary version", async () => {
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
    expect((await loadError(bytes)).message).toMatch(/version .*core modules/);
  });

  test("a truncated module", async () => {
    const err = await loadError(echoWat.subarray(0, echoWat.length - 10));
    expect(err.code).toBe("ERR_INVALID_MODULE");
    expect(err.message).toMatch(/not valid WebAssembly/);
  });

  test("an unknown import is named", async () => {
    const err = await loadError(mod(`(import "env" "fopen" (func)) (memory (export "memory") 1) ${alloc} ${entry}`));
    expect(err.code).toBe("ERR_IMPORT");
    expect(err.message).toContain("'env.fopen'");
    expect(err.message).toContain("docs/abi.md");
  });

  test("a WASI import says to build without WASI", async () => {
    const err = await loadError(mod(`(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1) ${alloc} ${entry}`));
    expect(err.message).toMatch(/wasi_snapshot_preview1.fd_write.*without WASI/);
  });

  test("Math.random's seed import points at the SDK's random()", async () => {
    const err = await loadError(mod(`(import "env" "seed" (func (result f64))) (memory (export "memory") 1) ${alloc} ${entry}`));
    expect(err.message).toMatch(/random\(\)/);
  });

  test("a host function declared with the wrong signature", async () => {
    const err = await loadError(mod(`(import "env" "ferrite_get" (func (param i32) (result i32))) (memory (export "memory") 1) ${alloc} ${entry}`));
    expect(err.code).toBe("ERR_IMPORT");
    expect(err.message).toMatch(/declares env.ferrite_get as \(i32\) -> i32, but ABI v1 defines it as \(i32, i32\) -> i32/);
  });

  test("an imported memory", async () => {
    const err = await loadError(mod(`(import "env" "memory" (memory 1)) ${alloc} ${entry}`));
    expect(err.message).toMatch(/imports a memory 'env.memory'.*export their own memory/);
  });

  test("memory not exported", async () => {
    const err = await loadError(mod(`(memory 1) ${alloc} ${entry}`));
    expect(err.code).toBe("ERR_EXPORT");
    expect(err.message).toMatch(/does not export its memory as 'memory'/);
  });

  test("missing ferrite_alloc", async () => {
    const err = await loadError(mod(`(memory (export "memory") 1) ${entry}`));
    expect(err.code).toBe("ERR_EXPORT");
    expect(err.message).toMatch(/does not export ferrite_alloc \(exports: memory, run\).*SDK does this/);
  });

  test("ferrite_alloc with the wrong signature", async () => {
    const err = await loadError(mod(`(memory (export "memory") 1) (func (export "ferrite_alloc") (param i64) (result i32) (i32.const 0)) ${entry}`));
    expect(err.message).toMatch(/ferrite_alloc is \(i64\) -> i32, but ABI v1 needs \(i32\) -> i32/);
  });

  test("no entry function lists the exports", async () => {
    const err = await loadError(mod(`(memory (export "memory") 1) ${alloc} (func (export "run") (param i32) (result i32) (i32.const 0))`), "other");
    expect(err.code).toBe("ERR_ENTRY");
    expect(err.message).toMatch(/no entry function.*run \(i32\) -> i32/);
  });

  test("the named export with a wrong signature", async () => {
    const err = await loadError(mod(`(memory (export "memory") 1) ${alloc} (func (export "run") (param i32 i32))`));
    expect(err.message).toMatch(/export 'run' is \(i32, i32\) -> \(\), but an entry must be/);
  });

  test("several entries and none named like the function", async () => {
    const err = await loadError(echoWat, "nope");
    expect(err.message).toMatch(/several entry functions \(echo, counter, spin, grow, write_then_fail, status7\)/);
  });

  test("the only entry-shaped export runs under any name", async () => {
    const rt = createRuntime();
    const info = await rt.load("whatever", mod(`(memory (export "memory") 1) ${alloc} ${entry} (func (export "__helper") (param i32 i32) (result i32) (i32.const 1))`));
    expect(info.entry).toBe("run");
    expect(rt.call("whatever").ok).toBe(true);
  });

  test("exports with reserved runtime names are refused", async () => {
    const err = await loadError(mod(`(memory (export "memory") 1) ${alloc} ${entry} (func (export "__ferrite_restore"))`));
    expect(err.message).toMatch(/reserved for the runtime/);
  });

  test("exception handling is refused: a guest must not catch the timeout", async () => {
    const bytes = wat(`(module (tag $t) (memory (export "memory") 1) ${alloc}
      (func (export "run") (param i32 i32) (result i32) (try (do (throw $t)) (catch_all)) (i32.const 0)))`, "eh.wat");
    const err = await loadError(bytes);
    expect(err.code).toBe("ERR_UNSUPPORTED");
    expect(err.message).toMatch(/exception handling/);
  });

  test("a start function that traps fails the load", async () => {
    const err = await loadError(mod(`(memory (export "memory") 1) ${alloc} ${entry} (func $s unreachable) (start $s)`));
    expect(err.message).toMatch(/trapped while starting up: unreachable/);
  });

  test("names are checked", async () => {
    const rt = createRuntime();
    await expect(rt.load("bad name!", echoWat)).rejects.toThrow(/invalid function name/);
  });
});
