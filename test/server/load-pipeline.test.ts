// Loading over RESP: a FIFO in plugins_dir cannot hang WASM.LOAD (nor starve the file threads
// later loads and saves need), module limits from the config refuse big modules with their fix,
// and prepared modules are kept only in the server's own data_dir.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { parseConfig } from "../../server/index.js";
import { bigModule, salted } from "../helpers/big-module.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../helpers/server.js";

describe("WASM.LOAD of something that is not a regular file", () => {
  let t: TestServer;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-fifo-"));
    t = await startTestServer({ server: { data_dir: path.join(dir, "data") } }, { dir });
    execFileSync("mkfifo", [path.join(t.pluginsDir, "pipe.wasm")]);
  });
  afterAll(async () => {
    await t?.close();
    if (t) await rm(t.dir, { recursive: true, force: true });
  });

  test("a FIFO fails at once, five times over; then a normal load, its save and a call work", async () => {
    const r = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
    try {
      // More than libuv's four file threads: a blocking open would leave the later ones waiting forever.
      const replies = await Promise.all([1, 2, 3, 4, 5].map((i) => r.call("WASM.LOAD", `p${i}`, "pipe.wasm").catch((e: Error) => e.message)));
      for (const [i, reply] of replies.entries()) {
        expect(reply).toBe(`ERR cannot load 'p${i + 1}': ${path.join(t.pluginsDir, "pipe.wasm")} is a FIFO (named pipe), not a regular file; point to the module file itself (or send its bytes with WASM.LOADB)`);
      }
      expect(await r.call("WASM.LOAD", "echo", "echo.wasm")).toBe("OK");
      expect(await r.call("WASM.CALL", "echo", "after the pipe")).toBe("after the pipe");
      expect(await r.call("WASM.LIST")).toEqual(["echo"]);
      // The load was saved: data_dir's files were written after the FIFO loads.
      const modules = await readdir(path.join(t.dir, "data", "modules"));
      expect(modules.filter((f) => f.endsWith(".wasm"))).toHaveLength(1);
    } finally {
      r.disconnect();
    }
  });

  test("RELOAD of a function whose file became a FIFO fails at once and keeps the function", async () => {
    const r = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
    try {
      execFileSync("cp", [path.join(t.pluginsDir, "echo.wasm"), path.join(t.pluginsDir, "swap.wasm")]);
      expect(await r.call("WASM.LOAD", "echo", "swap.wasm", "REPLACE")).toBe("OK");
      await rm(path.join(t.pluginsDir, "swap.wasm"));
      execFileSync("mkfifo", [path.join(t.pluginsDir, "swap.wasm")]);
      await expect(r.call("WASM.RELOAD", "echo")).rejects.toThrow(`ERR cannot reload 'echo': ${path.join(t.pluginsDir, "swap.wasm")} is a FIFO (named pipe), not a regular file`);
      expect(await r.call("WASM.CALL", "echo", "kept")).toBe("kept");
    } finally {
      r.disconnect();
    }
  });
});

describe("[wasm] max_module_size and max_module_functions", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ wasm: { max_module_size: "64KB", max_module_functions: 1000 } });
  });
  afterAll(() => t?.close());

  test("WASM.LOADB refuses a module over either limit, saying which and how to raise it; the server goes on", async () => {
    const r = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
    try {
      const large = bigModule({ functions: 900, filler: 20, salt: "size" });
      expect(large.byteLength).toBeGreaterThan(64 * 1024);
      await expect(r.call("WASM.LOADB", "large", Buffer.from(large))).rejects.toThrow(
        new RegExp(`^ERR cannot load 'large': the module is [\\d.]+KB \\(${large.byteLength} bytes\\), above the module size limit of 64KB \\(max_module_size\\); build a smaller module \\(a release build, wasm-opt -Oz\\) or raise \\[wasm\\] max_module_size$`),
      );
      const many = bigModule({ functions: 1200, filler: 0, salt: "count" });
      expect(many.byteLength).toBeLessThan(64 * 1024);
      await expect(r.call("WASM.LOADB", "many", Buffer.from(many))).rejects.toThrow(
        "ERR cannot load 'many': the module defines 1202 functions, above the limit of 1000 (max_module_functions); split it into smaller modules or raise [wasm] max_module_functions",
      );
      expect(await r.ping()).toBe("PONG");
      expect(await r.call("CONFIG", "GET", "wasm-max-module-*")).toEqual(["wasm-max-module-size", "64KB", "wasm-max-module-functions", "1000"]);
      expect(await r.call("WASM.LOADB", "echo", Buffer.from(ECHO_WASM))).toBe("OK");
      expect(await r.call("WASM.LIST")).toEqual(["echo"]);
    } finally {
      r.disconnect();
    }
  });

  test("a bad value is a config error naming the key and the fix", () => {
    expect(() => parseConfig({ wasm: { max_module_size: "lots" } })).toThrow(/wasm\.max_module_size.*invalid max_module_size "lots": use a size such as "10MB"/);
    expect(() => parseConfig({ wasm: { max_module_functions: 0 } })).toThrow(/wasm\.max_module_functions/);
    expect(parseConfig({ wasm: { max_module_size: "2MB" } }).wasm.max_module_size).toBe("2MB");
  });
});

describe("prepared modules on disk", () => {
  const saved = { FERRITE_WASM_CACHE_DIR: process.env.FERRITE_WASM_CACHE_DIR, CACHE_DIR: process.env.CACHE_DIR };
  let elsewhere: string;
  beforeAll(async () => {
    elsewhere = await mkdtemp(path.join(os.tmpdir(), "ferrite-user-cache-"));
    process.env.FERRITE_WASM_CACHE_DIR = elsewhere; // what the CLI would use: the server must not
    process.env.CACHE_DIR = elsewhere;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => rm(elsewhere, { recursive: true, force: true }));

  test("with data_dir they are kept in data_dir/prepared only, private to the server's user; without it, nowhere", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-prepared-"));
    const withData = await startTestServer({ server: { data_dir: path.join(dir, "data") } }, { dir });
    const without = await startTestServer();
    try {
      const r = new Redis(withData.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
      const s = new Redis(without.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
      try {
        expect(await r.call("WASM.LOADB", "echo", Buffer.from(salted(ECHO_WASM, `server-${Date.now()}`)))).toBe("OK");
        expect(await s.call("WASM.LOADB", "echo", Buffer.from(salted(ECHO_WASM, `bare-${Date.now()}`)))).toBe("OK");
      } finally {
        r.disconnect();
        s.disconnect();
      }
      const prepared = path.join(dir, "data", "prepared");
      const entries = (await readdir(prepared)).filter((f) => f.endsWith(".prepared"));
      expect(entries).toHaveLength(1);
      expect((await stat(prepared)).mode & 0o077).toBe(0);
      expect((await stat(path.join(prepared, entries[0]))).mode & 0o777).toBe(0o600);
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await withData.close();
      await without.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
