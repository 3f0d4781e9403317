import { createRuntime } from "/work/main/runtime-sim/index.js";
import { echoWat } from "/work/main/test/helpers/runtime.js";
import { wat } from "/work/main/test/helpers/wat.js";
import { performance } from "node:perf_hooks";
const rt = createRuntime();
await rt.load("spin", echoWat, { timeoutMs: 100 });
const alloc = `(global $h (mut i32) (i32.const 1024)) (func (export "ferrite_alloc") (param i32) (result i32) (global.get $h))`;
await rt.load("hostloop", wat(`(module (import "env" "ferrite_arg_count" (func $c (result i32))) (memory (export "memory") 1) ${alloc}
      (func (export "hostloop") (param i32 i32) (result i32) (loop $l (drop (call $c)) (br $l)) (i32.const 0)))`), { timeoutMs: 50 });
for (const n of ["spin", "hostloop", "spin"]) { const t = performance.now(); const r = rt.call(n); console.log(n, r.error?.message, (performance.now() - t).toFixed(1)); }
