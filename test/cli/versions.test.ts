// `ferrite-wasm versions` and `ferrite-wasm rollback` against a running server.
import { afterAll, beforeAll, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { constant } from "../helpers/const-wasm.js";
import { cli, ensureCliBuilt } from "./helpers/cli.js";

let t: TestServer;
let client: FerriteClient;
beforeAll(async () => {
  await ensureCliBuilt();
  t = await startTestServer();
  client = new FerriteClient(t.server.url);
  await client.wasmLoadB("greet", constant("one"));
  await client.wasmLoadB("greet", constant("two"), { replace: true });
});
afterAll(async () => {
  await client?.quit();
  await t?.close();
});

test("versions lists the deploys, the active one marked", async () => {
  const r = await cli(["versions", "greet", "--url", t.server.url]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/v1 .*loadb/);
  expect(r.stdout).toMatch(/v2 .*\* active/);
  const json = JSON.parse((await cli(["versions", "greet", "--url", t.server.url, "--json"])).stdout);
  expect(json.versions.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([[1, false], [2, true]]);
});

test("rollback switches back and the server serves the previous behaviour", async () => {
  const r = await cli(["rollback", "greet", "--url", t.server.url]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("now serves v1");
  expect(await client.wasmCall("greet")).toBe("one");
  const json = JSON.parse((await cli(["rollback", "greet", "2", "--url", t.server.url, "--json"])).stdout);
  expect(json.active).toMatchObject({ version: 2 });
  expect(await client.wasmCall("greet")).toBe("two");
});

test("errors say what to do", async () => {
  const r = await cli(["rollback", "greet", "7", "--url", t.server.url]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("has no version 7 (kept: 1, 2)");
  const missing = await cli(["versions", "nope", "--url", t.server.url]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("unknown function 'nope'");
});
