// A large initial memory costs what the module writes, not its size: the snapshot keeps the data
// segments and what start-up wrote, and a reset writes only pages a call wrote (issue 9 item 3).
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../../runtime-sim/index.js";
import { prepareModule } from "../../../runtime-sim/module.js";
import { Isolate } from "../../../runtime-sim/isolation.js";
import { wat } from "../../helpers/wat.js";

const MiB = 1024 * 1024;
// 1 GiB of initial memory (16384 pages). Start-up writes 7 at 512 MiB and 9 at 4 (one span of
// 512 MiB, almost all zeros); `poke` writes its input byte
// at 256 and at 1000 MiB and returns what was at 16 (data), 512 MiB (start-up) and 1000 MiB before.
const big = wat(`(module (import "env" "ferrite_return" (func $r (param i32 i32)))
  (memory (export "memory") 16384) (data (i32.const 16) "D") (global $h (mut i32) (i32.const 1024))
  (func $start (i32.store8 (i32.const 536870912) (i32.const 7)) (i32.store8 (i32.const 4) (i32.const 9))) (start $start)
  (func (export "ferrite_alloc") (param $n i32) (result i32) (local $p i32) (local.set $p (global.get $h)) (global.set $h (i32.add (global.get $h) (i32.const 64))) (local.get $p))
  (func (export "poke") (param $p i32) (param $l i32) (result i32)
    (i32.store8 (i32.const 2000) (i32.load8_u (i32.const 16)))
    (i32.store8 (i32.const 2001) (i32.load8_u (i32.const 536870912)))
    (i32.store8 (i32.const 2002) (i32.load8_u (i32.const 1048576000)))
    (i32.store8 (i32.const 16) (i32.load8_u (local.get $p)))
    (i32.store8 (i32.const 536870912) (i32.load8_u (local.get $p)))
    (i32.store8 (i32.const 1048576000) (i32.load8_u (local.get $p)))
    (call $r (i32.const 2000) (i32.const 3)) (i32.const 0)))`);

const rss = () => process.memoryUsage().rss;

describe("a 1 GiB initial memory", () => {
  test("the snapshot holds what the module wrote, not its size", async () => {
    const prepared = await prepareModule(big);
    expect(prepared.report.dataRanges).toEqual([[16, 17]]);
    const env = { ferrite_return: () => {} };
    const isolate = new Isolate(prepared, { env, __ferrite: { refuel: () => 1e6, oom: () => {}, max_pages: new WebAssembly.Global({ value: "i32", mutable: false }, 16384) } });
    expect(isolate.memoryBytes).toBe(1024 * MiB);
    expect(isolate.snapshotBytes).toBeLessThanOrEqual(3 * 64 * 1024); // the data byte and start-up's two bytes, as small stretches
  });

  test("loads and runs under MEMORY 1GB without its RSS growing by the memory's size", async () => {
    const before = rss();
    const rt = createRuntime();
    await rt.load("poke", big, { memory: "1GB" });
    expect(rss() - before).toBeLessThan(200 * MiB);
    // Every call sees the data segment and start-up's write, whatever the last call wrote.
    for (const c of ["x", "y", "z"]) expect([...rt.call("poke", [c]).value!]).toEqual([68, 7, 0]);
    // Three calls each wrote at 256 B and at 1000 MiB, and were undone, without backing the pages between.
    expect(rss() - before).toBeLessThan(200 * MiB);
    expect(rt.stats("poke").memory_used_bytes).toBe(1024 * MiB);
  });
});
