// data_dir: functions (bytes, source path, settings) survive a restart; without it nothing is kept.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer } from "../../server/index.js";
import { ECHO_WASM, KV_WASM, startTestServer } from "../helpers/server.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-persist-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("with data_dir", () => {
  test("functions survive a restart with their bytes, path and settings", async () => {
    const config = { server: { data_dir: path.join(dir, "data") } };
    const first = await startTestServer(config, { dir });
    const mine = path.join(dir, "plugins", "mine.wasm");
    await writeFile(mine, KV_WASM);
    expect(await first.cli(["WASM.LOAD", "kv_set", "mine.wasm", "CAPABILITIES", "write", "MEMORY", "2MB", "TIMEOUT", "321"])).toBe("OK");
    expect(await first.cli(["-x", "WASM.LOADB", "echo"], { input: ECHO_WASM })).toBe("OK");
    expect(await first.cli(["WASM.LOAD", "kv_get", "kv.wasm"])).toBe("OK");
    expect(await first.cli(["WASM.UPDATE", "kv_get", "TIMEOUT", "77"])).toBe("OK");
    expect(await first.cli(["WASM.LOAD", "kv_del", "kv.wasm"])).toBe("OK");
    expect(await first.cli(["WASM.UNLOAD", "kv_del"])).toBe("OK");
    const before = JSON.parse(await first.cli(["WASM.INFO", "kv_set"]));
    await first.close();

    // The file changes on disk: the restart must still run the bytes that were loaded.
    await writeFile(mine, ECHO_WASM);
    const second = await startTestServer(config, { dir });
    try {
      expect((await second.cli(["WASM.LIST"])).split("\n")).toEqual(["kv_set", "echo", "kv_get"]);
      const after = JSON.parse(await second.cli(["WASM.INFO", "kv_set"]));
      expect(after).toMatchObject({ path: before.path, sha256: before.sha256, capabilities: ["write"], memory_limit: "2MB", timeout_ms: 321 });
      expect(JSON.parse(await second.cli(["WASM.INFO", "kv_get"])).timeout_ms).toBe(77);
      expect(JSON.parse(await second.cli(["WASM.INFO", "echo"])).path).toBeNull();
      expect(await second.cli(["WASM.CALL", "kv_set", "a", "1"])).toBe("OK");
      expect(await second.cli(["WASM.CALL", "echo", "still here"])).toBe("still here");
      // RELOAD reads the (changed) file at the remembered path: now it is the echo module.
      expect(await second.cli(["WASM.RELOAD", "kv_set"])).toMatch(/^INVALIDMODULE cannot load 'kv_set': the module has several entry functions/);
      await writeFile(mine, KV_WASM);
      expect(await second.cli(["WASM.RELOAD", "kv_set"])).toBe("OK");
      expect(await second.cli(["WASM.RELOAD", "echo"])).toMatch(/has no file to reload/);
    } finally {
      await second.close();
    }
  });

  test("the manifest is written atomically and unused modules are removed", async () => {
    const data = path.join(dir, "data");
    const manifest = JSON.parse(await readFile(path.join(data, "functions.json"), "utf8"));
    expect(manifest.version).toBe(1);
    expect(manifest.functions.map((f: { name: string }) => f.name)).toEqual(["kv_set", "echo", "kv_get"]);
    const files = await readdir(path.join(data, "modules"));
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(new Set(files.filter((f) => f.endsWith(".wasm")).map((f) => f.slice(0, -5)))).toEqual(new Set(manifest.functions.map((f: { sha256: string }) => f.sha256)));
  });

  test("a corrupt manifest stops the start with a message naming the file", async () => {
    const bad = await mkdtemp(path.join(dir, "bad-"));
    await writeFile(path.join(bad, "functions.json"), "{ not json");
    await expect(startServer({ config: { server: { port: 0, data_dir: bad } } })).rejects.toThrow(/functions\.json is unreadable .*move it away/);
  });

  test("a missing module file is reported and skipped", async () => {
    const data = await mkdtemp(path.join(dir, "partial-"));
    const t1 = await startTestServer({ server: { data_dir: data } }, { dir: await mkdtemp(path.join(dir, "p-")) });
    await t1.cli(["-x", "WASM.LOADB", "echo"], { input: ECHO_WASM });
    await t1.close();
    for (const f of await readdir(path.join(data, "modules"))) await rm(path.join(data, "modules", f));
    const logs: string[] = [];
    const s = await startServer({ config: { server: { port: 0, data_dir: data } }, log: (_l, m) => logs.push(m) });
    expect(s.runtime.list()).toEqual([]);
    expect(logs.join("\n")).toMatch(/function 'echo' was not restored/);
    await s.close();
  });
});

test("without data_dir nothing is written and a restart starts empty", async () => {
  const work = await mkdtemp(path.join(dir, "nodata-"));
  const first = await startTestServer({}, { dir: work });
  await first.cli(["WASM.LOAD", "echo", "echo.wasm"]);
  await first.close();
  expect(existsSync(path.join(work, "functions.json"))).toBe(false);
  const second = await startTestServer({}, { dir: work });
  expect(await second.cli(["WASM.LIST"])).toBe("");
  await second.close();
});
