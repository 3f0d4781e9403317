// Prepared modules on disk: written once, read by a later process instead of instrumenting again,
// and never trusted when corrupt, foreign (another key, another owner, writable by others, a link)
// or unwritable. "A later process" is a fresh module graph here (vi.resetModules): its in-memory
// cache is empty, as a new process's is.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { createRuntime } from "../../runtime-sim/index.js";
import { prepareModule, sha256 } from "../../runtime-sim/module.js";
import { DiskCache } from "../../runtime-sim/prepare/disk-cache.js";
import { echoWat, utf8 } from "../helpers/runtime.js";
import { salted } from "../helpers/big-module.js";

const dirs: string[] = [];
const temp = (prefix = "ferrite-cache-") => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let n = 0;
/** A module no earlier test (or run) has prepared in this process. */
const fresh = () => salted(echoWat, `${process.pid}-${Date.now()}-${++n}`);

/** prepareModule as a new process sees it: nothing prepared in memory yet. */
async function inNewProcess() {
  vi.resetModules();
  const module = await import("../../runtime-sim/module.js");
  const { DiskCache: Cache } = await import("../../runtime-sim/prepare/disk-cache.js");
  const { createRuntime: create } = await import("../../runtime-sim/index.js");
  return { prepare: (bytes: Uint8Array, dir: string) => module.prepareModule(bytes, { cache: new Cache(dir) }), createRuntime: create };
}

/** A valid entry, rewritten with a changed header (the payload and its hash stay right). */
function rewriteHeader(file: string, change: (h: Record<string, any>) => void): Buffer {
  const data = readFileSync(file);
  const magic = data.indexOf(0x0a) + 1;
  const length = data.readUInt32LE(magic);
  const header = JSON.parse(data.subarray(magic + 4, magic + 4 + length).toString("utf8"));
  change(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([data.subarray(0, magic), len, json, data.subarray(magic + 4 + length)]);
}

describe("the disk cache", () => {
  test("a load writes one private entry; a new process loads it without instrumenting, and it runs", async () => {
    const dir = temp();
    const bytes = fresh();
    const rt = createRuntime({ cache: dir });
    await rt.load("echo", bytes);
    const entries = readdirSync(dir).filter((f) => f.endsWith(".prepared"));
    expect(entries).toEqual([path.basename(new DiskCache(dir).fileFor(sha256(bytes)))]);
    const file = path.join(dir, entries[0]);
    expect(readFileSync(file).subarray(0, 28).toString()).toBe("ferrite-wasm prepared module");
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const later = await inNewProcess();
    const prepared = await later.prepare(bytes, dir);
    expect(prepared.origin).toBe("disk");
    expect(prepared.sha256).toBe(sha256(bytes));
    const rt2 = later.createRuntime({ cache: dir });
    await rt2.load("echo", bytes);
    expect(utf8(rt2.call("echo", ["from the cache"]).value)).toBe("from the cache");
    // Metering is in the cached code: a loop that never ends still times out.
    await rt2.load("spin", bytes, { entry: "spin", timeoutMs: 50 });
    expect(rt2.call("spin").error?.code).toBe("ERR_TIMEOUT");
  });

  const corruptions: Array<[string, (entry: Buffer) => Buffer]> = [
    ["an empty file", () => Buffer.alloc(0)],
    ["random bytes", () => Buffer.from("not an entry at all, just some text\n")],
    ["a truncated entry", (e) => e.subarray(0, e.length - 10)],
    ["a flipped payload byte", (e) => {
      const c = Buffer.from(e);
      c[c.length - 20] ^= 0xff;
      return c;
    }],
    ["a broken header", (e) => {
      const c = Buffer.from(e);
      c[40] = 0x7b; // "{" inside the JSON
      return c;
    }],
  ];

  test.each(corruptions)("%s is ignored: the module is prepared again and the entry rewritten", async (_what, corrupt) => {
    const dir = temp();
    const bytes = fresh();
    const cache = new DiskCache(dir);
    // Make a good entry in another process's view, then corrupt it.
    const first = await inNewProcess();
    await first.prepare(bytes, dir);
    const file = cache.fileFor(sha256(bytes));
    writeFileSync(file, corrupt(readFileSync(file)), { mode: 0o600 });
    expect(await cache.get(sha256(bytes))).toBeNull();

    const later = await inNewProcess();
    const rebuilt = await later.prepare(bytes, dir);
    expect(rebuilt.origin).toBe("prepared");
    expect(await cache.get(sha256(bytes))).not.toBeNull();
    const third = await inNewProcess();
    expect((await third.prepare(bytes, dir)).origin).toBe("disk");
  });

  const foreign: Array<[string, (file: string, bytes: Uint8Array, dir: string) => void]> = [
    ["made by another toolkit version", (file) => writeFileSync(file, rewriteHeader(file, (h) => (h.key.toolkit = "0.0.1-other")), { mode: 0o600 })],
    ["made by another instrumentation", (file) => writeFileSync(file, rewriteHeader(file, (h) => (h.key.instrumentation = "0.other")), { mode: 0o600 })],
    ["another module's entry under this module's name", (file) => writeFileSync(file, rewriteHeader(file, (h) => (h.key.module = "0".repeat(64))), { mode: 0o600 })],
    ["writable by other users", (file) => chmodSync(file, 0o666)],
    ["owned by another user", (file) => chownSync(file, 65534, 65534)],
    ["a symbolic link to a good entry", (file, _bytes, dir) => {
      const elsewhere = path.join(dir, "elsewhere");
      writeFileSync(elsewhere, readFileSync(file), { mode: 0o600 });
      rmSync(file);
      symlinkSync(elsewhere, file);
    }],
  ];

  test.each(foreign)("an entry %s is not trusted: the module is prepared again", async (_what, spoil) => {
    const dir = temp();
    const bytes = fresh();
    const cache = new DiskCache(dir);
    const first = await inNewProcess();
    await first.prepare(bytes, dir);
    const file = cache.fileFor(sha256(bytes));
    spoil(file, bytes, dir);
    expect(await cache.get(sha256(bytes))).toBeNull();
    const later = await inNewProcess();
    expect((await later.prepare(bytes, dir)).origin).toBe("prepared");
    expect(await cache.get(sha256(bytes))).not.toBeNull(); // replaced by one of our own
  });

  test("a cache that cannot be written is no error: the load works, nothing is kept", async () => {
    const dir = temp();
    const blocker = path.join(dir, "not-a-dir");
    writeFileSync(blocker, "a file where the cache directory would be");
    const rt = createRuntime({ cache: blocker });
    await rt.load("echo", fresh());
    expect(utf8(rt.call("echo", ["ok"]).value)).toBe("ok");
    expect(readdirSync(dir)).toEqual(["not-a-dir"]);
  });

  test("a module the checks refuse leaves no entry", async () => {
    const dir = temp();
    const bad = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]);
    await expect(prepareModule(bad, { cache: new DiskCache(dir) })).rejects.toThrow(/not valid WebAssembly/);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});

describe("where the cache lives", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ["FERRITE_WASM_CACHE_DIR", "CACHE_DIR", "XDG_CACHE_HOME"]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  test("FERRITE_WASM_CACHE_DIR, else node_modules/.cache/ferrite-wasm of the project, else the user's cache folder", () => {
    delete process.env.CACHE_DIR;
    const project = temp("ferrite-cache-project-");
    writeFileSync(path.join(project, "package.json"), "{}");
    mkdirSync(path.join(project, "src"));
    delete process.env.FERRITE_WASM_CACHE_DIR;
    expect(DiskCache.locate(path.join(project, "src")).dir).toBe(path.join(project, "node_modules", ".cache", "ferrite-wasm"));

    const bare = temp("ferrite-cache-bare-");
    const xdg = temp("ferrite-cache-xdg-");
    process.env.XDG_CACHE_HOME = xdg;
    // No package.json at or above /: the user's cache folder.
    expect(DiskCache.locate("/").dir).toBe(path.join(xdg, "ferrite-wasm"));

    process.env.FERRITE_WASM_CACHE_DIR = path.join(bare, "mine");
    expect(DiskCache.locate(project).dir).toBe(path.join(bare, "mine"));
  });
});
