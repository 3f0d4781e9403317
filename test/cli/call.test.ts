// `ferrite-wasm call` on a hand-written module: the reply on stdout, logs / keys written /
// duration on stderr, --json, the exit code, and each option (--store, --capabilities,
// --read-only, --timeout, --entry, --name).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { wat } from "../helpers/wat.js";
import { echoWat } from "../helpers/runtime.js";
import { spawn } from "node:child_process";
import { CLI, cli, cliEnv, ensureCliBuilt, tempDir } from "./helpers/cli.js";

// copy SRC DST: copies the value at key SRC (argument 0) to key DST (argument 1), logs
// "copying" and replies with the value; fails with "missing key" when SRC does not exist.
const COPY = wat(`(module
  (import "env" "ferrite_arg" (func $arg (param i32) (result i32)))
  (import "env" "ferrite_get" (func $get (param i32 i32) (result i32)))
  (import "env" "ferrite_set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "env" "ferrite_log" (func $log (param i32 i32 i32)))
  (import "env" "ferrite_return" (func $return (param i32 i32)))
  (import "env" "ferrite_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "copyingmissing key")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "ferrite_alloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "copy") (param i32 i32) (result i32)
    (local $src i32) (local $dst i32) (local $v i32)
    (local.set $src (call $arg (i32.const 0)))
    (local.set $dst (call $arg (i32.const 1)))
    (local.set $v (call $get (i32.add (local.get $src) (i32.const 4)) (i32.load (local.get $src))))
    (if (i32.eqz (local.get $v)) (then (call $error (i32.const 23) (i32.const 11)) (return (i32.const 1))))
    (call $log (i32.const 2) (i32.const 16) (i32.const 7))
    (drop (call $set (i32.add (local.get $dst) (i32.const 4)) (i32.load (local.get $dst))
                     (i32.add (local.get $v) (i32.const 4)) (i32.load (local.get $v))))
    (call $return (i32.add (local.get $v) (i32.const 4)) (i32.load (local.get $v)))
    (i32.const 0)))`);

let work: Awaited<ReturnType<typeof tempDir>>;
const file = (name: string) => path.join(work.dir, name);
const call = (...args: string[]) => cli(["call", ...args], { cwd: work.dir });

beforeAll(async () => {
  work = await tempDir();
  await writeFile(file("copy.wasm"), COPY);
  await writeFile(file("echo.wasm"), echoWat);
  await writeFile(file("seed.json"), JSON.stringify({ greeting: "hello", user: { name: "Ada" } }));
  await writeFile(file("broken.json"), "{ not json");
  await ensureCliBuilt();
});
afterAll(() => work?.cleanup());

describe.concurrent("a call that succeeds", () => {
  test("with stdout and stderr in one pipe (2>&1), a long reply arrives whole and the status line after it, on its own line", async () => {
    // 300 KB is more than a pipe holds, and dd reads it a byte at a time: the CLI must neither
    // exit nor print the status line before the whole reply is out.
    const part = "a".repeat(100_000);
    const child = spawn("sh", ["-c", '"$0" "$@" 2>&1 | dd bs=1 2>/dev/null', process.execPath, CLI, "call", "echo.wasm", "--entry", "echo", "--name", "echo", part, part, part], {
      cwd: work.dir,
      env: cliEnv(),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    const code = await new Promise((resolve) => child.once("close", resolve));
    const merged = Buffer.concat(chunks).toString("utf8");
    expect(code).toBe(0);
    const reply = [part, part, part].join("\n");
    expect(merged.slice(0, reply.length + 1)).toBe(reply + "\n");
    expect(merged.slice(reply.length + 1)).toMatch(/^✔ echo returned 300002 bytes in [\d.]+ m?s · capabilities: read, log\n$/);
  });


  test("prints the reply on stdout, and logs, keys written and duration on stderr", async () => {
    const r = await call("copy.wasm", "greeting", "copy", "--store", "seed.json", "--capabilities", "read,write,log");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("hello\n");
    expect(r.stderr).toMatch(/info\s+copying/);
    expect(r.stderr).toMatch(/✔ copy returned 5 bytes in [\d.]+ m?s · capabilities: read, write, log/);
    expect(r.stderr).toMatch(/keys written:\n\s+copy = hello/);
  });

  test("--store stores non-string values as JSON text", async () => {
    const r = await call("copy.wasm", "user", "u2", "--store", "seed.json", "--capabilities", "all");
    expect(r.stdout).toBe('{"name":"Ada"}\n');
  });

  test("--json gives the whole result as one document", async () => {
    const r = await call("copy.wasm", "greeting", "copy", "--store", "seed.json", "--capabilities", "read,write,log", "--json");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: true,
      function: "copy",
      entry: "copy",
      capabilities: ["read", "write", "log"],
      value: "hello",
      error: null,
      logs: [{ level: "info", message: "copying" }],
      writes: [{ key: "copy", value: "hello" }],
    });
    expect(doc.durationMs).toBeGreaterThan(0);
  });

  test("--entry picks one export of a module with several; --name sets the function name", async () => {
    const r = await call("echo.wasm", "--entry", "echo", "--name", "shout", "hi there", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, function: "shout", entry: "echo", value: "hi there" });
  });
});

describe.concurrent("a call that fails exits 1 with the runtime's error and the fix", () => {
  test("a capability the call lacks (a file gets read,log unless told otherwise)", async () => {
    const r = await call("copy.wasm", "greeting", "copy", "--store", "seed.json");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("NOCAP function 'copy' lacks capability 'write' (ferrite_set)");
    expect(r.stderr).toMatch(/fix grant 'write': pass --capabilities/);
  });

  test("--read-only refuses the write, and the keyspace is unchanged", async () => {
    const r = await call("copy.wasm", "greeting", "copy", "--store", "seed.json", "--capabilities", "all", "--read-only", "--json");
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error).toMatchObject({ code: "ERR_READONLY", reply: "NOWRITE function 'copy' attempted a write in WASM.CALLREAD" });
    expect(doc.writesApplied).toBe(false);
  });

  test("the function's own error", async () => {
    const r = await call("copy.wasm", "nope", "copy", "--capabilities", "read");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("FUNCERR missing key");
  });

  test("--timeout stops a function that never returns", async () => {
    const r = await call("echo.wasm", "--entry", "spin", "--timeout", "50");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("TIMEOUT function 'echo' timed out after 50 ms");
    expect(r.stderr).toMatch(/fix .*--timeout/);
  });
});

describe.concurrent("bad input is reported before anything runs", () => {
  test("a store seed that is not JSON names the file and the fix", async () => {
    const r = await call("copy.wasm", "a", "b", "--store", "broken.json");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error broken\.json is not valid JSON/);
    expect(r.stderr).toMatch(/fix\s+write the seed as one JSON object/);
  });

  test("an invalid option value", async () => {
    const r = await call("copy.wasm", "--memory", "10XB");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'10XB' is not a memory limit; write a size such as 512KB or 10MB/);
  });

  test("a function name outside a project", async () => {
    const r = await call("validate", "{}");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error no ferrite\.toml in .* or any folder above it/);
    expect(r.stderr).toMatch(/fix\s+run this inside a ferrite-wasm project, or create one with `ferrite-wasm new <dir>`/);
  });
});
