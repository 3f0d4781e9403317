// WASM.VERSIONS / WASM.ROLLBACK: every deploy is kept, and a rollback restores the earlier behaviour.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { KEEP_VERSIONS } from "../../server/versions.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { constant } from "../helpers/const-wasm.js";

let t: TestServer;
let client: FerriteClient;
beforeAll(async () => {
  t = await startTestServer();
  client = new FerriteClient(t.server.url);
});
afterAll(async () => {
  await client?.quit();
  await t?.close();
});

// redis-cli -x puts the module last, so loads with options go through ioredis.
const loadb = (name: string, bytes: Uint8Array, ...opts: string[]) => client.redis.call("WASM.LOADB", name, Buffer.from(bytes), ...opts);
const versions = async (name: string) => JSON.parse(await t.cli(["WASM.VERSIONS", name]));

describe("versions", () => {
  test("each deploy adds a version; WASM.INFO shows the active one", async () => {
    expect(await loadb("greet", constant("one"))).toBe("OK");
    expect(await loadb("greet", constant("two"), "REPLACE", "TIMEOUT", "300")).toBe("OK");
    const list = await versions("greet");
    expect(list.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([[1, false], [2, true]]);
    expect(list[1]).toMatchObject({ source: "loadb", path: null, timeout_ms: 300, size_bytes: constant("two").byteLength });
    expect(list[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(list[0].sha256).not.toBe(list[1].sha256);
    expect(typeof list[0].deployed_at).toBe("string");
    expect(JSON.parse(await t.cli(["WASM.INFO", "greet"]))).toMatchObject({ version: 2, versions: 2, sha256: list[1].sha256 });
  });

  test("an identical redeploy adds nothing", async () => {
    expect(await loadb("greet", constant("two"), "REPLACE")).toBe("OK");
    expect((await versions("greet")).length).toBe(2);
  });

  test("rollback restores the previous behaviour and settings, over ioredis too", async () => {
    expect(await client.wasmCall("greet")).toBe("two");
    expect(await t.cli(["WASM.ROLLBACK", "greet"])).toBe("1");
    expect(await client.wasmCall("greet")).toBe("one");
    const info = await client.wasmInfo("greet");
    expect(info).toMatchObject({ version: 1, timeout_ms: 1000 });
    expect(await t.cli(["WASM.ROLLBACK", "greet"])).toMatch(/^ERR function 'greet' has no version before 1 to roll back to/);
    expect(await client.redis.call("WASM.ROLLBACK", "greet", "2")).toBe(2);
    expect(await client.wasmCall("greet")).toBe("two");
  });

  test("a deploy after a rollback gets the next number", async () => {
    await t.cli(["WASM.ROLLBACK", "greet", "v1"]);
    expect(await loadb("greet", constant("three"), "REPLACE")).toBe("OK");
    expect((await versions("greet")).map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(await t.cli(["WASM.CALL", "greet"])).toBe("three");
  });

  test("errors", async () => {
    expect(await t.cli(["WASM.ROLLBACK", "greet", "9"])).toBe("ERR function 'greet' has no version 9 (kept: 1, 2, 3)");
    expect(await t.cli(["WASM.ROLLBACK", "greet", "x"])).toMatch(/^ERR invalid version 'x'/);
    expect(await t.cli(["WASM.ROLLBACK", "nope"])).toBe("NOFUNC unknown function 'nope'");
    expect(await t.cli(["WASM.VERSIONS", "nope"])).toBe("NOFUNC unknown function 'nope'");
    expect(await t.cli(["WASM.ROLLBACK", "greet", "1", "2"])).toBe("ERR wrong number of arguments for 'wasm.rollback' command");
  });

  test(`keeps the last ${KEEP_VERSIONS} versions, and UNLOAD forgets them`, async () => {
    for (let i = 0; i < KEEP_VERSIONS + 2; i++) await loadb("many", constant(`r${i}`), "REPLACE");
    const list = await versions("many");
    expect(list.length).toBe(KEEP_VERSIONS);
    expect(list.at(-1)).toMatchObject({ version: KEEP_VERSIONS + 2, active: true });
    expect(await t.cli(["WASM.UNLOAD", "many"])).toBe("OK");
    await loadb("many", constant("fresh"));
    expect((await versions("many")).map((v: { version: number }) => v.version)).toEqual([1]);
  });

  test("RELOAD adds a version from the file", async () => {
    await writeFile(path.join(t.pluginsDir, "g.wasm"), constant("file-a"));
    expect(await t.cli(["WASM.LOAD", "g", "g.wasm", "CAPABILITIES", "read"])).toBe("OK");
    await writeFile(path.join(t.pluginsDir, "g.wasm"), constant("file-b"));
    expect(await t.cli(["WASM.RELOAD", "g"])).toBe("OK");
    expect((await versions("g")).map((v: { source: string }) => v.source)).toEqual(["load", "reload"]);
    await t.cli(["WASM.ROLLBACK", "g"]);
    expect(await t.cli(["WASM.CALL", "g"])).toBe("file-a"); // the kept bytes, not the file
  });
});

describe("with data_dir", () => {
  test("versions and the active one survive a restart", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-versions-"));
    try {
      const config = { server: { data_dir: path.join(dir, "data") } };
      const first = await startTestServer(config, { dir });
      const c = new FerriteClient(first.server.url);
      for (const r of ["a", "b", "c"]) await c.wasmLoadB("f", constant(r, "f"), { replace: true });
      await c.quit();
      expect(await first.cli(["WASM.ROLLBACK", "f", "2"])).toBe("2");
      await first.close();
      const second = await startTestServer(config, { dir });
      try {
        expect(await second.cli(["WASM.CALL", "f"])).toBe("b");
        expect(JSON.parse(await second.cli(["WASM.VERSIONS", "f"])).map((v: { active: boolean }) => v.active)).toEqual([false, true, false]);
        expect(await second.cli(["WASM.ROLLBACK", "f", "1"])).toBe("1");
        expect(await second.cli(["WASM.CALL", "f"])).toBe("a");
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
