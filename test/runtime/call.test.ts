// One call: input, reply mapping, all-or-nothing writes.
import { describe, expect, test } from "vitest";
import { createRuntime, MemoryStore } from "../../runtime-sim/index.js";
import { wat } from "../helpers/wat.js";
import { echoWat, hostWat, testRuntime, utf8 } from "../helpers/runtime.js";

describe("input and reply", () => {
  test("arguments reach the entry joined with a single \\n", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    expect(utf8(rt.call("echo", ["a", "b c", ""]).value)).toBe("a\nb c\n");
    expect(utf8(rt.call("echo", ['{"email": "test@example.com"}']).value)).toBe('{"email": "test@example.com"}');
    expect(utf8(rt.call("echo", []).value)).toBe("");
  });

  test("UTF-8 and binary arguments pass through exactly", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    const s = "héllo wörld ✓ 😀👍🏽 日本語";
    expect(utf8(rt.call("echo", [s]).value)).toBe(s);
    const bin = new Uint8Array(256).map((_, i) => i);
    expect([...rt.call("echo", [bin]).value!]).toEqual([...bin]);
  });

  test("a function that never calls ferrite_return replies nil", async () => {
    const rt = createRuntime();
    await rt.load("use_log", hostWat, { capabilities: ["log"] });
    const r = rt.call("use_log");
    expect(r.ok).toBe(true);
    expect(r.value).toBeNull();
  });

  test("nonzero status without an error", async () => {
    const rt = createRuntime();
    await rt.load("status7", echoWat);
    expect(rt.call("status7").error!.reply).toBe("FUNCERR function 'status7' returned status 7");
  });

  test("ferrite_error's message is the reply", async () => {
    const rt = createRuntime();
    await rt.load("write_then_fail", echoWat, { capabilities: ["write"] });
    expect(rt.call("write_then_fail").error!.reply).toBe("FUNCERR boom");
  });

  test("env.abort from a plain AssemblyScript build is decoded", async () => {
    // abort("oops", "a.ts", 3, 7) with AssemblyScript's UTF-16 strings (length at ptr - 4).
    const str = (s: string) => [...Buffer.from(s, "utf16le")].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
    const rt = createRuntime();
    await rt.load("ab", wat(`(module (import "env" "abort" (func $abort (param i32 i32 i32 i32))) (memory (export "memory") 1)
      (data (i32.const 96) "\\08\\00\\00\\00${str("oops")}") (data (i32.const 196) "\\08\\00\\00\\00${str("a.ts")}")
      (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "ab") (param i32 i32) (result i32) (call $abort (i32.const 100) (i32.const 200) (i32.const 3) (i32.const 7)) (unreachable)))`));
    expect(rt.call("ab").error!.reply).toBe("FUNCERR oops at a.ts:3:7");
  });

  test("an unknown function", () => {
    const rt = createRuntime();
    expect(rt.call("nope").error!.reply).toBe("NOFUNC unknown function 'nope'");
  });
});

describe("all or nothing", () => {
  test("a failed call that wrote three keys leaves none", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ store });
    await rt.load("write_then_fail", echoWat, { capabilities: ["write"] });
    const r = rt.call("write_then_fail");
    expect(r.ok).toBe(false);
    expect(r.writes.map((w) => utf8(w.key))).toEqual(["k1", "k2", "k3"]);
    expect(store.size).toBe(0);
  });

  test("a trap, a timeout or a missing capability after writes leaves the store as it was", async () => {
    const { rt, store } = testRuntime();
    store.set("k", "orig");
    // use_set then read_then_write under CALLREAD: the write is refused after a read.
    await rt.load("read_then_write", hostWat, { capabilities: ["all"] });
    rt.callRead("read_then_write");
    expect(store.getString("k")).toBe("orig");
    // set, then trap:
    await rt.load("set_trap", wat(`(module (import "env" "ferrite_set" (func $s (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1) (data (i32.const 16) "kv")
      (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "set_trap") (param i32 i32) (result i32) (drop (call $s (i32.const 16) (i32.const 1) (i32.const 17) (i32.const 1))) (drop (i32.div_s (i32.const 1) (local.get 1))) (i32.const 0)))`), { capabilities: ["write"] });
    expect(rt.call("set_trap").error!.reply).toBe("TRAP function 'set_trap' trapped: divide by zero");
    expect(store.getString("k")).toBe("orig");
    expect(rt.call("set_trap", ["x"]).ok).toBe(true);
    expect(store.getString("k")).toBe("v");
  });

  test("a call reads its own writes; deletes are seen too", async () => {
    const { rt, store } = testRuntime();
    await rt.load("rw", wat(`(module
      (import "env" "ferrite_set" (func $set (param i32 i32 i32 i32) (result i32)))
      (import "env" "ferrite_del" (func $del (param i32 i32) (result i32)))
      (import "env" "ferrite_exists" (func $exists (param i32 i32) (result i32)))
      (import "env" "ferrite_get" (func $get (param i32 i32) (result i32)))
      (import "env" "ferrite_return" (func $r (param i32 i32)))
      (memory (export "memory") 1) (data (i32.const 16) "kv") (global $h (mut i32) (i32.const 1024))
      (func (export "ferrite_alloc") (param $n i32) (result i32) (local $p i32) (local.set $p (global.get $h)) (global.set $h (i32.add (global.get $h) (i32.const 64))) (local.get $p))
      (func (export "rw") (param i32 i32) (result i32) (local $b i32)
        (drop (call $set (i32.const 16) (i32.const 1) (i32.const 17) (i32.const 1)))
        (local.set $b (call $get (i32.const 16) (i32.const 1)))
        (i32.store8 (i32.const 8) (i32.load8_u (i32.add (local.get $b) (i32.const 4))))
        (drop (call $del (i32.const 16) (i32.const 1)))
        (i32.store8 (i32.const 9) (i32.add (i32.const 48) (call $exists (i32.const 16) (i32.const 1))))
        (call $r (i32.const 8) (i32.const 2)) (i32.const 0)))`), { capabilities: ["read", "write", "delete"] });
    store.set("k", "old");
    const r = rt.call("rw");
    expect(utf8(r.value)).toBe("v0");
    expect(store.get(Buffer.from("k"))).toBeNull();
  });
});
