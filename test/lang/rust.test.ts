// Rust with real cargo and rustc (Debian's, with its wasm32 std and packaged crates): the Rust
// templates through new -> build -> test -> deploy -> call, under MEMORY 1MB; the specification's
// Rust example (fixtures/spec/validate.rs, its code block verbatim); every function of the
// ferrite-wasm crate; the stack-size hint; and the message when no toolchain has the target.
import { chmod, copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { manualClock, seededRandom } from "../../runtime-sim/testing.js";
import { testRuntime, utf8 } from "../helpers/runtime.js";
import { redisCli } from "../helpers/server.js";
import { cli, ensureCliBuilt, ROOT, spawnCli, tempDir } from "../cli/helpers/cli.js";
import { startServe } from "../cli/helpers/serve.js";
import { watchProject } from "../../cli/build/watch.js";
import { CARGO_TARGET, FIXTURES } from "./helpers.js";

// Real compilers on a busy shared machine: these bound a hang, not a speed (a cold cargo build
// of serde_json took over a minute at a load average of 30 on 2 cores).
vi.setConfig({ testTimeout: 900_000, hookTimeout: 900_000 });


let tmp: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
const run = (args: string[], cwd: string, extra: Record<string, string | undefined> = {}) => cli(args, { cwd, env: { ...env, ...extra } });

beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-lang-rust-");
  env = { CARGO_TARGET_DIR: CARGO_TARGET };
});
afterAll(async () => {
  await tmp?.cleanup();
});

/** A crate project from a fixture: Cargo.toml and src/lib.rs, the template's .cargo/config.toml, a ferrite.toml. */
async function fixtureProject(name: string, files: { cargoToml: string; lib: string }, manifest: string): Promise<string> {
  const dir = path.join(tmp.dir, name);
  await mkdir(path.join(dir, "src"), { recursive: true });
  await mkdir(path.join(dir, ".cargo"), { recursive: true });
  await writeFile(path.join(dir, "Cargo.toml"), files.cargoToml);
  await copyFile(files.lib, path.join(dir, "src/lib.rs"));
  await copyFile(path.join(ROOT, "templates/rust/validate/.cargo/config.toml"), path.join(dir, ".cargo/config.toml"));
  await writeFile(path.join(dir, "ferrite.toml"), manifest);
  return dir;
}

describe("the validate template: new -> build -> test -> deploy -> call", () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp.dir, "rust-validate");
    const created = await run(["new", dir, "--lang", "rust", "--template", "validate"], tmp.dir);
    expect(created.code, created.stderr).toBe(0);
  });

  test("new writes a cargo project that names the toolkit's crate", async () => {
    expect(await readFile(path.join(dir, "Cargo.toml"), "utf8")).toContain('name = "rust-validate"');
    expect(await readFile(path.join(dir, ".cargo/config.toml"), "utf8")).toContain(`ferrite-wasm = { path = ${JSON.stringify(path.join(ROOT, "rust/ferrite-wasm"))} }`);
  });

  test("build runs cargo and reports size and ABI; the module fits MEMORY 1MB", async () => {
    const built = await run(["build", "--json"], dir);
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const fn = JSON.parse(built.stdout).functions[0];
    expect(fn).toMatchObject({ name: "validate", ok: true, compiled: true });
    expect(fn.report.imports.sort()).toEqual(["env.ferrite_error", "env.ferrite_return"]);
    expect(fn.report.entry).toBe("validate");
    expect(fn.report.memory.initialBytes).toBeLessThanOrEqual(256 * 1024);
    // Stripped: no name section, no debug info.
    const wasm = await readFile(path.join(dir, "build/validate.wasm"));
    const sections = WebAssembly.Module.customSections(new WebAssembly.Module(wasm), "name");
    expect(sections).toEqual([]);
    expect(fn.report.size.raw).toBeLessThan(150 * 1024);
  });

  test("a second build reuses the module; an edit rebuilds it", async () => {
    const again = await run(["build", "--json"], dir);
    expect(JSON.parse(again.stdout).functions[0].compiled).toBe(false);
    const lib = path.join(dir, "src/lib.rs");
    await writeFile(lib, (await readFile(lib, "utf8")) + "\n// edited\n");
    const edited = await run(["build", "--json"], dir);
    expect(JSON.parse(edited.stdout).functions[0].compiled).toBe(true);
  });

  test("ferrite-wasm test runs the template's tests", async () => {
    const tested = await run(["test"], dir);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests 5 passed/);
  });

  test("deploy loads it under MEMORY 1MB and redis-cli calls it", async () => {
    const server = await startServe([], tmp.dir);
    try {
      const deployed = await run(["deploy", "--url", server.url, "--json"], dir);
      expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
      expect(JSON.parse(deployed.stdout).functions[0]).toMatchObject({ name: "validate", ok: true, memory: "1MB", mismatches: [] });
      expect(await redisCli(server.port, ["WASM.CALL", "validate", '{"email": "ada@example.com"}'])).toBe('{"valid":true}');
      expect(await redisCli(server.port, ["WASM.CALL", "validate", '{"email": "ada@example"}'])).toBe('{"valid":false}');
      expect(await redisCli(server.port, ["WASM.CALL", "validate", "not json"])).toMatch(/^FUNCERR the input is not valid JSON: expected ident at line 1 column 2$/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("the blank template", () => {
  test("new -> build -> test -> call", async () => {
    const dir = path.join(tmp.dir, "rust-blank");
    expect((await run(["new", dir, "--lang", "rust"], tmp.dir)).code).toBe(0);
    const tested = await run(["test"], dir);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests 3 passed/);
    const called = await run(["call", "hello", "Zoë"], dir);
    expect(called.stdout.trim()).toBe("Hello, Zoë!");
  });

  test("with Rust's default 1 MiB stack the module is refused under MEMORY 1MB, and the build says which flag fixes it", async () => {
    const dir = path.join(tmp.dir, "rust-blank-stack");
    expect((await run(["new", dir, "--lang", "rust"], tmp.dir)).code).toBe(0);
    const config = path.join(dir, ".cargo/config.toml");
    await writeFile(config, (await readFile(config, "utf8")).replace("zstack-size=65536", "zstack-size=1048576"));
    const built = await run(["build"], dir);
    expect(built.code).toBe(1);
    expect(built.stdout).toContain("its initial memory is 1088KB (17 pages of 64KB), above its memory limit of 1MB");
    expect(built.stdout).toContain('the module reserves a 1024 KiB stack (Rust\'s default is 1 MiB)');
    expect(built.stdout).toContain('set rustflags = ["-C", "link-arg=-zstack-size=65536"] under [target.wasm32-unknown-unknown] in .cargo/config.toml');
  });
});

describe("build --watch on a crate", () => {
  test("sees a save that replaces src/lib.rs", async () => {
    const dir = path.join(tmp.dir, "rust-watch");
    expect((await run(["new", dir, "--lang", "rust"], tmp.dir)).code).toBe(0);
    const watch = spawnCli(["build", "--watch", "--json"], dir); // no CARGO_TARGET_DIR: cargo writes dir/target
    try {
      await watch.waitFor((e) => "functions" in e, "the first build");
      const lib = path.join(dir, "src/lib.rs");
      const temp = `${lib}.tmp`;
      await writeFile(temp, (await readFile(lib, "utf8")).replace('"Hello, {}!"', '"Hi, {}!"'));
      await rename(temp, lib);
      type Built = { ok: boolean; functions: { compiled: boolean }[] };
      const rebuilt = (await watch.waitFor((e, i) => i >= 1 && (e as Built).functions?.[0]?.compiled === true, "the rebuild")) as Built;
      expect(rebuilt.ok).toBe(true);
      expect((await run(["call", "hello", "Ada"], dir)).stdout.trim()).toBe("Hi, Ada!");
    } finally {
      watch.child.kill("SIGTERM");
      await watch.exited();
    }
  });

  test("the watcher ignores target/ beside a Cargo.toml: cargo's output, not sources", async () => {
    const dir = path.join(tmp.dir, "rust-watch-target");
    await mkdir(path.join(dir, "target/release"), { recursive: true });
    await mkdir(path.join(dir, "src"), { recursive: true });
    await writeFile(path.join(dir, "Cargo.toml"), "[package]\n");
    await writeFile(path.join(dir, "src/lib.rs"), "// v1\n");
    const batches: string[][] = [];
    let seen!: () => void;
    const changed = new Promise<void>((resolve) => (seen = resolve));
    const watcher = watchProject(dir, path.join(dir, "build"), (files) => {
      batches.push(files);
      seen();
    });
    try {
      await watcher.ready;
      await writeFile(path.join(dir, "target/release/stray.rs"), "// generated\n");
      await writeFile(path.join(dir, "src/lib.rs"), "// v2\n");
      await changed;
      expect(batches[0]).toEqual([path.join("src", "lib.rs")]);
    } finally {
      await watcher.close();
    }
  });
});

describe("the specification's Rust example, verbatim", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fixtureProject(
      "spec-rust",
      {
        cargoToml: '[package]\nname = "spec-validate"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\nferrite-wasm = "0.1"\nserde_json = "1"\n',
        lib: path.join(FIXTURES, "spec/validate.rs"),
      },
      '[functions.validate]\nsource = "src/lib.rs"\ncapabilities = ["read", "write", "log"]\nmemory = "10MB"\ntimeout_ms = 1000\n',
    );
  });

  test("builds with its `use ferrite_wasm::*;` and its safe ferrite_return(ptr, len)", async () => {
    const built = await run(["build", "--json"], dir);
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const fn = JSON.parse(built.stdout).functions[0];
    expect(fn.diagnostics.filter((d: { category: string }) => d.category === "error")).toEqual([]);
  });

  test("answers what the specification shows", async () => {
    const called = await run(["call", "validate", '{"email": "test@example.com"}'], dir);
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout.trim()).toBe('{"valid": true}');
    expect((await run(["call", "validate", '{"email": "test@example"}'], dir)).stdout.trim()).toBe('{"valid": false}');
  });

  test("its unwrap() on bad input fails with the panic message at its own line", async () => {
    const called = await run(["call", "validate", "{oops"], dir);
    expect(called.code).toBe(1);
    expect(called.stderr).toContain('FUNCERR called `Result::unwrap()` on an `Err` value: Error("key must be a string", line: 1, column: 2) at src/lib.rs:15:63');
  });
});

describe("the ferrite-wasm crate, every function", () => {
  let call: (name: string, ...args: (string | Uint8Array)[]) => ReturnType<ReturnType<typeof testRuntime>["rt"]["call"]>;
  let clock: ReturnType<typeof manualClock>;
  /** The same sequence the guest's host gets: only the clock entry draws from it. */
  const expectedRandom = seededRandom(11);

  beforeAll(async () => {
    const dir = await fixtureProject(
      "rust-api",
      { cargoToml: await readFile(path.join(FIXTURES, "rust-api/Cargo.toml"), "utf8"), lib: path.join(FIXTURES, "rust-api/src/lib.rs") },
      '[functions.keys]\nsource = "src/lib.rs"\ncapabilities = ["all"]\n',
    );
    const built = await run(["build"], dir);
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const wasm = new Uint8Array(await readFile(path.join(dir, "build/keys.wasm")));
    clock = manualClock(Date.UTC(2026, 5, 1));
    const { rt } = testRuntime({ clock, random: seededRandom(11) });
    for (const entry of ["keys", "arguments", "text", "logs", "clock", "panics", "fails", "spec_names", "spec_helpers", "fetch"]) {
      await rt.load(entry, wasm, { capabilities: ["all"], entry });
    }
    for (const entry of ["hog", "grow"]) await rt.load(entry, wasm, { capabilities: ["all"], entry, memory: "1MB" });
    call = (name, ...args) => rt.call(name, args);
  });

  test("get, get_string, set, exists, del", () => {
    const r = call("keys", "user:1", "Ada");
    expect(utf8(r.value)).toBe('stored=true read=Some(true) text=Some("Ada") existed=true deleted=true after=false absent=true');
    expect(r.writes.map((w) => [utf8(w.key), utf8(w.value)])).toEqual([["user:1", "Ada"], ["user:1", null]]);
  });

  test("args are exact bytes, input is them joined with \\n", () => {
    expect(utf8(call("arguments", "a", "b\nc", new Uint8Array([0, 255])).value)).toBe('count=3 args=61,620a63,00ff strings=["a", "b\\nc", "\\0\u{fffd}"] missing=true input=8');
    expect(utf8(call("arguments").value)).toBe("count=0 args= strings=[] missing=true input=0");
  });

  test("input_str, and its error on invalid UTF-8", () => {
    expect(utf8(call("text", "héllo").value)).toBe("HÉLLO");
    const bad = call("text", new Uint8Array([0xff]));
    expect(bad.error?.message).toBe("the input is not UTF-8");
  });

  test("log at each level, and the spec's ferrite_log(level, ptr, len)", () => {
    expect(call("logs").logs.map((l) => `${l.level} ${l.message}`)).toEqual(["trace trace line", "debug debug line", "info info line", "warn warn line", "error error line", "info raw line"]);
  });

  test("now and random come from the host, under both names", () => {
    const [a, b, x, y] = utf8(call("clock").value)!.split(" ");
    expect([Number(a), Number(b)]).toEqual([clock(), clock()]);
    expect([Number(x), Number(y)]).toEqual([expectedRandom(), expectedRandom()]);
  });

  test("a panic fails the call with its message, file and line, and writes nothing", () => {
    const r = call("panics", "1,2");
    expect(r.ok).toBe(false);
    expect(r.error?.message).toBe("index out of bounds: the len is 2 but the index is 3 at src/lib.rs:80:25");
    expect(r.writes).toEqual([]);
    expect(call("panics", "x").error?.message).toMatch(/^called `Result::unwrap\(\)` on an `Err` value: ParseIntError \{ kind: InvalidDigit \} at src\/lib\.rs:79:80$/);
  });

  test("fail() fails the call with its message", () => {
    expect(call("fails").error?.message).toBe("the reason");
  });

  test("the specification's names: ferrite_get(&str) and friends, ferrite_return(ptr, len)", () => {
    const r = call("spec_names");
    expect(utf8(r.value)).toBe("true spec value true true");
  });

  test("the crate's allocator: out of memory is the memory error; the newest block grows in place", () => {
    const r = call("hog");
    expect(r.ok).toBe(false);
    expect(r.error?.message).toBe("function 'hog' exceeded its memory limit of 1MB");
    expect(utf8(call("grow").value)).toBe(String(480 * 1024));
  });

  test("the specification's parse_string(ptr, len) and parse_keys(ptr, len)", () => {
    expect(utf8(call("spec_helpers", "price:1", "a\nb").value)).toBe('"price:1\\na\\nb" ["price:1", "a\\nb"]');
    expect(utf8(call("spec_helpers").value)).toBe('"" []');
  });

  test("http() returns the host's response JSON", () => {
    expect(JSON.parse(utf8(call("fetch", "http://127.0.0.1:9/").value)!)).toMatchObject({ status: 0, error: expect.stringContaining("allow-list") });
  });
});

describe("finding a toolchain", () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp.dir, "rust-toolchain");
    expect((await run(["new", dir, "--lang", "rust"], tmp.dir)).code).toBe(0);
  });

  /** A rustc that runs but whose sysroot has no wasm32 std, like rustup's here. */
  async function fakeRustc(): Promise<string> {
    const bin = path.join(tmp.dir, "fake-bin");
    await mkdir(path.join(bin, "sysroot/lib/rustlib/x86_64-unknown-linux-gnu/lib"), { recursive: true });
    const rustc = path.join(bin, "rustc");
    await writeFile(rustc, `#!/bin/sh\nif [ "$1" = "--print" ]; then echo ${JSON.stringify(path.join(bin, "sysroot"))}; else echo "rustc 9.99.0 (fake)"; fi\n`);
    await chmod(rustc, 0o755);
    return rustc;
  }

  test("a rustc without the wasm32 target first on PATH is passed over for one that has it", async () => {
    const rustc = await fakeRustc();
    const built = await run(["build", "--json"], dir, { PATH: `${path.dirname(rustc)}:${process.env.PATH}` });
    expect(built.code, built.stdout + built.stderr).toBe(0);
  });

  test("when no toolchain has the target, the build says which it tried and what to install", async () => {
    const rustc = await fakeRustc();
    const built = await run(["build", "--force"], dir, { FERRITE_RUSTC: rustc });
    expect(built.code).toBe(1);
    expect(built.stdout).toContain(`no Rust toolchain here can build for wasm32-unknown-unknown (${rustc}: rustc 9.99.0 has no wasm32-unknown-unknown standard library`);
    expect(built.stdout).toContain("rustup target add wasm32-unknown-unknown");
    expect(built.stdout).toContain("apt install cargo rustc libstd-rust-dev-wasm32");
  });
});
