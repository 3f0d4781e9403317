// `ferrite-wasm check` on modules written by hand in WAT (no SDK, no asc): a good one, and broken
// ones whose messages must name the problem and the fix. The report comes from the runtime's
// own checks, so these are the messages the server gives on WASM.LOAD.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { analyzeModule } from "../../cli/build/report.js";
import { wat } from "../helpers/wat.js";
import { echoWat } from "../helpers/runtime.js";
import { cli, ensureCliBuilt, tempDir } from "./helpers/cli.js";

const ALLOC = `(func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8))`;
const MEMORY = `(memory (export "memory") 1)`;
const ENTRY = `(func (export "run") (param i32 i32) (result i32) (i32.const 0))`;
const mod = (body: string) => wat(`(module ${body})`);

const BROKEN = {
  "unknown-import": mod(`(import "env" "fopen" (func (param i32) (result i32))) ${MEMORY} ${ALLOC} ${ENTRY}`),
  "no-alloc": mod(`${MEMORY} ${ENTRY}`),
  "bad-entry": mod(`${MEMORY} ${ALLOC} (func (export "run") (param i32) (result i32) (i32.const 0))`),
};

let work: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  work = await tempDir();
  await writeFile(path.join(work.dir, "echo.wasm"), echoWat);
  for (const [name, bytes] of Object.entries(BROKEN)) await writeFile(path.join(work.dir, `${name}.wasm`), bytes);
  await writeFile(path.join(work.dir, "text.wasm"), "(module (memory 1))");
  await ensureCliBuilt();
});
afterAll(() => work?.cleanup());

const errors = (r: { problems: { level: string; message: string; fix: string | null }[] }) => r.problems.filter((p) => p.level === "error");

describe("a hand-written module", () => {
  test("passes, and its report lists imports, entry and the capabilities it needs", async () => {
    const report = await analyzeModule(echoWat, { name: "echo" });
    expect(report.ok).toBe(true);
    expect(report.entry).toBe("echo");
    expect(report.entries).toEqual(expect.arrayContaining(["echo", "counter", "spin"]));
    expect(report.imports).toEqual(["env.ferrite_return", "env.ferrite_arg_count", "env.ferrite_set", "env.ferrite_error"]);
    expect(report.capabilities).toMatchObject({ needed: ["write"], neededBy: { write: ["env.ferrite_set"] }, granted: null });
    expect(report.size.raw).toBe(echoWat.byteLength);
    expect(report.size.gzip).toBeGreaterThan(0);
    expect(report.memory).toEqual({ initialBytes: 65536, maxBytes: null });
  });

  test("from the command line: exit 0, a readable report", async () => {
    const r = await cli(["check", path.join(work.dir, "echo.wasm"), "--capabilities", "write"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ .*echo\.wasm/);
    expect(r.stdout).toContain("env.ferrite_set");
    expect(r.stdout).toMatch(/needs write · grants write/);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour when piped
  });
});

describe("broken modules name the problem and the fix", () => {
  test("an unknown import", async () => {
    const [e] = errors(await analyzeModule(BROKEN["unknown-import"], { name: "run" }));
    expect(e.message).toContain("'env.fopen'");
    expect(e.message).toMatch(/ABI v1 does not provide; allowed imports are env\.ferrite_\*/);
  });

  test("a missing ferrite_alloc", async () => {
    const [e] = errors(await analyzeModule(BROKEN["no-alloc"], { name: "run" }));
    expect(e.message).toContain("does not export ferrite_alloc");
    expect(e.message).toContain("export ferrite_alloc(size: i32) -> i32");
  });

  test("an entry with the wrong signature", async () => {
    const [e] = errors(await analyzeModule(BROKEN["bad-entry"], { name: "run" }));
    expect(e.message).toContain("the export 'run' is (i32) -> i32");
    expect(e.message).toContain("an entry must be (input_ptr: i32, input_len: i32) -> i32");
  });

  test("no export named like the function, and no entry at all", async () => {
    const [e] = errors(await analyzeModule(BROKEN["bad-entry"], { name: "validate" }));
    expect(e.message).toMatch(/no entry function: export 'validate' .* as \(input_ptr: i32, input_len: i32\) -> i32/);
  });

  test("WebAssembly text instead of a binary", async () => {
    const [e] = errors(await analyzeModule(new TextEncoder().encode("(module (memory 1))"), { name: "x" }));
    expect(e.message).toMatch(/not a WebAssembly module.*wat2wasm/);
  });

  test("the command line exits 1 and prints the message and fix, without a stack trace", async () => {
    for (const name of Object.keys(BROKEN)) {
      const r = await cli(["check", path.join(work.dir, `${name}.wasm`), "--name", "run"]);
      expect(r.code, name).toBe(1);
      expect(r.stdout, name).toMatch(/✖/);
      expect(r.stdout + r.stderr, name).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
    const bad = await cli(["check", path.join(work.dir, "bad-entry.wasm"), "--name", "run", "--json"]);
    const doc = JSON.parse(bad.stdout);
    expect(doc).toMatchObject({ ok: false, name: "run" });
    expect(doc.problems[0]).toMatchObject({ level: "error", code: "ERR_ENTRY" });
  });

  test("a file that is not there", async () => {
    const r = await cli(["check", path.join(work.dir, "nope.wasm")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error cannot read .*nope\.wasm/);
    expect(r.stderr).toMatch(/fix\s+check the path/);
  });
});

describe("capabilities against a grant", () => {
  test("needed but not granted is an error naming the capability and the import", async () => {
    const report = await analyzeModule(echoWat, { name: "echo", capabilities: ["read"], grantSource: "--capabilities" });
    expect(report.ok).toBe(false);
    expect(report.capabilities).toMatchObject({ missing: ["write"], unused: ["read"] });
    const [e] = errors(report);
    expect(e.message).toMatch(/needs capability 'write' \(it imports env\.ferrite_set\) but --capabilities does not grant it/);
    expect(e.fix).toBe('add "write" to --capabilities');
  });

  test("granted but unused is a warning; 'all' says what would be enough", async () => {
    const report = await analyzeModule(echoWat, { name: "echo", capabilities: ["all"], grantSource: "--capabilities" });
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([expect.objectContaining({ level: "warning", code: "ERR_CAPABILITY_UNUSED", fix: 'pass --capabilities "write"' })]);
  });

  test("an unknown capability on the command line is refused by the option parser", async () => {
    const r = await cli(["check", path.join(work.dir, "echo.wasm"), "--capabilities", "read,wirte"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'wirte' is not a capability/);
  });
});

describe("limits", () => {
  test("initial memory above the limit fails with the size to raise it to", async () => {
    const big = mod(`(memory (export "memory") 20) ${ALLOC} ${ENTRY}`);
    const [e] = errors(await analyzeModule(big, { name: "run", memory: "1MB" }));
    expect(e.code).toBe("ERR_MEMORY_INITIAL");
    expect(e.message).toMatch(/initial memory is 1280KB .* raise MEMORY to at least 1280KB/);
  });
});
