// TIMEOUT stops guest code that never returns, on the main thread, and the runtime goes on.
import { describe, expect, test } from "vitest";
import { performance } from "node:perf_hooks";
import { createRuntime } from "../../../runtime-sim/index.js";
import { wat } from "../../helpers/wat.js";
import { echoWat, utf8 } from "../../helpers/runtime.js";
import { buildFixture } from "../../helpers/asc.js";

const alloc = `(global $h (mut i32) (i32.const 1024)) (func (export "ferrite_alloc") (param i32) (result i32) (global.get $h))`;

describe("timeout", () => {
  test("while(true){} with TIMEOUT 100 is stopped in under 110 ms, and the next call succeeds", async () => {
    const rt = createRuntime();
    await rt.load("spin", echoWat, { timeoutMs: 100 });
    await rt.load("echo", echoWat);
    const t = performance.now();
    const r = rt.call("spin");
    const elapsed = performance.now() - t;
    expect(r.error!.reply).toBe("TIMEOUT function 'spin' timed out after 100 ms");
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(110);
    expect(utf8(rt.call("echo", ["still here"]).value)).toBe("still here");
    expect(rt.call("spin").error!.code).toBe("ERR_TIMEOUT"); // and again: the instance was reset
    expect(rt.stats("spin")).toMatchObject({ invocations: 2, failed: 2, timeouts: 2 });
  });

  test("an AssemblyScript while(true){} with TIMEOUT 100: stopped in < 110 ms, then the next call succeeds", async () => {
    const loop = await buildFixture("loop");
    const echo = await buildFixture("echo");
    const rt = createRuntime();
    await rt.load("loop", loop.wasm, { timeoutMs: 100 });
    await rt.load("echo", echo.wasm);
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      expect(rt.call("loop").error!.reply).toBe("TIMEOUT function 'loop' timed out after 100 ms");
      const elapsed = performance.now() - t;
      expect(elapsed).toBeGreaterThanOrEqual(100);
      expect(elapsed).toBeLessThan(110);
      expect(utf8(rt.call("echo", ["next"]).value)).toBe("next");
    }
  });

  test("a loop calling a host function is stopped too", async () => {
    const rt = createRuntime();
    await rt.load("hostloop", wat(`(module (import "env" "ferrite_arg_count" (func $c (result i32))) (memory (export "memory") 1) ${alloc}
      (func (export "hostloop") (param i32 i32) (result i32) (loop $l (drop (call $c)) (br $l)) (i32.const 0)))`), { timeoutMs: 50 });
    const t = performance.now();
    expect(rt.call("hostloop").error!.code).toBe("ERR_TIMEOUT");
    expect(performance.now() - t).toBeLessThan(70);
  });

  test("mutual recursion without a loop is metered at function entry", async () => {
    // Bounded depth, unbounded work: a() calls b() twice, b() calls a() twice, 40 levels deep.
    const rt = createRuntime();
    await rt.load("fan", wat(`(module (memory (export "memory") 1) ${alloc}
      (func $a (param $d i32) (if (local.get $d) (then (call $b (i32.sub (local.get $d) (i32.const 1))) (call $b (i32.sub (local.get $d) (i32.const 1))))))
      (func $b (param $d i32) (if (local.get $d) (then (call $a (i32.sub (local.get $d) (i32.const 1))) (call $a (i32.sub (local.get $d) (i32.const 1))))))
      (func (export "fan") (param i32 i32) (result i32) (call $a (i32.const 40)) (i32.const 0)))`), { timeoutMs: 50 });
    const t = performance.now();
    expect(rt.call("fan").error!.code).toBe("ERR_TIMEOUT");
    expect(performance.now() - t).toBeLessThan(70);
  });

  test("unbounded recursion traps with a clear reason, and the runtime goes on", async () => {
    const rt = createRuntime();
    await rt.load("deep", wat(`(module (memory (export "memory") 1) ${alloc}
      (func $r (param $n i32) (result i32) (i32.add (call $r (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
      (func (export "deep") (param i32 i32) (result i32) (drop (call $r (i32.const 0))) (i32.const 0)))`));
    const r = rt.call("deep");
    expect(r.error!.reply).toBe("TRAP function 'deep' trapped: call stack exhausted (unbounded or too deep recursion)");
    await rt.load("echo", echoWat);
    expect(rt.call("echo", ["ok"]).ok).toBe(true);
    expect(rt.call("deep").error!.code).toBe("ERR_TRAP");
  });

  test("a start function that never ends fails the load after the start-up budget (1 s, or TIMEOUT if longer)", async () => {
    const rt = createRuntime();
    const bytes = wat(`(module (memory (export "memory") 1) ${alloc} (func (export "run") (param i32 i32) (result i32) (i32.const 0)) (func $s (loop $l (br $l))) (start $s))`);
    const t = performance.now();
    await expect(rt.load("run", bytes, { timeoutMs: 30 })).rejects.toThrow("function 'run' timed out while starting up (after 1000 ms); its start function must return");
    expect(performance.now() - t).toBeLessThan(1100);
  });
});
