// Nothing in linear memory or globals survives from one call to the next.
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../runtime-sim/index.js";
import { wat } from "../helpers/wat.js";
import { echoWat, u32 } from "../helpers/runtime.js";

describe("isolation", () => {
  test("a global counter does not persist between calls", async () => {
    const rt = createRuntime();
    await rt.load("counter", echoWat);
    expect([1, 2, 3, 4].map(() => u32(rt.call("counter").value))).toEqual([1, 1, 1, 1]);
  });

  test("memory written by one call is back to its start-up state for the next", async () => {
    // `scribble` stores its input byte at 40000 and returns what was there before.
    const rt = createRuntime();
    await rt.load("scribble", wat(`(module (import "env" "ferrite_return" (func $r (param i32 i32))) (memory (export "memory") 1)
      (data (i32.const 40000) "A") (global $h (mut i32) (i32.const 1024))
      (func (export "ferrite_alloc") (param $n i32) (result i32) (local $p i32) (local.set $p (global.get $h)) (global.set $h (i32.add (global.get $h) (i32.const 64))) (local.get $p))
      (func (export "scribble") (param $p i32) (param $l i32) (result i32)
        (i32.store8 (i32.const 100) (i32.load8_u (i32.const 40000)))
        (memory.fill (i32.const 40000) (i32.load8_u (local.get $p)) (i32.const 1))
        (call $r (i32.const 100) (i32.const 1)) (i32.const 0)))`));
    for (const c of ["x", "y", "z"]) expect(Buffer.from(rt.call("scribble", [c]).value!).toString()).toBe("A");
  });

  test("a call that grew memory leaves the next call a fresh instance", async () => {
    const rt = createRuntime();
    await rt.load("grow", echoWat);
    await rt.load("counter", echoWat);
    expect(rt.call("grow", [new Uint8Array([3])]).ok).toBe(true);
    expect(rt.call("grow", [new Uint8Array([3])]).ok).toBe(true);
    expect(rt.stats("grow").memory_used_bytes).toBe(4 * 65536); // not 7 pages: the second call started over
  });

  test("a failed call (trap, timeout) is isolated as well", async () => {
    const rt = createRuntime();
    const bytes = wat(`(module (import "env" "ferrite_return" (func $r (param i32 i32))) (memory (export "memory") 1) (global $g (mut i32) (i32.const 0))
      (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "bump_trap") (param i32 i32) (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (i32.store (i32.const 8) (global.get $g))
        (if (i32.eq (local.get 1) (i32.const 0)) (then unreachable)) (call $r (i32.const 8) (i32.const 4)) (i32.const 0)))`);
    await rt.load("bump_trap", bytes);
    expect(rt.call("bump_trap").error!.reply).toBe("TRAP function 'bump_trap' trapped: unreachable");
    expect(u32(rt.call("bump_trap", ["x"]).value)).toBe(1);
  });

  test("a module that changes its table gets a fresh instance per call", async () => {
    const rt = createRuntime();
    const bytes = wat(`(module (import "env" "ferrite_return" (func $r (param i32 i32))) (memory (export "memory") 1) (table 1 funcref) (global $g (mut i32) (i32.const 0))
      (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
      (func $f) (elem declare func $f)
      (func (export "t") (param i32 i32) (result i32) (table.set (i32.const 0) (ref.func $f)) (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (i32.store (i32.const 8) (global.get $g)) (call $r (i32.const 8) (i32.const 4)) (i32.const 0)))`);
    await rt.load("t", bytes);
    expect([1, 2, 3].map(() => u32(rt.call("t").value))).toEqual([1, 1, 1]);
  });
});
