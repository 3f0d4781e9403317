// `ferrite-wasm dev --url`: deploys to a server that is already running, swaps on save, and each
// swap is a version that `ferrite-wasm rollback` undoes. (Timing under load: dev.timing.test.ts.)
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { cli, ensureCliBuilt, spawnCli, tempDir } from "./helpers/cli.js";

let work: Awaited<ReturnType<typeof tempDir>>;
let project: string;
let t: TestServer;
beforeAll(async () => {
  await ensureCliBuilt();
  work = await tempDir("ferrite-dev-url-");
  project = path.join(work.dir, "proj");
  expect((await cli(["new", project, "--template", "blank"])).code).toBe(0);
  t = await startTestServer();
}, 120_000);
afterAll(async () => {
  await t?.close();
  await work?.cleanup();
});

async function until(done: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("dev --url deploys, swaps on save, and rollback undoes the save", async () => {
  const dev = spawnCli(["dev", "--url", t.server.url, "--no-test", "--json"], project);
  const lines = () => dev.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; version?: number; ok?: boolean });
  const client = new FerriteClient(t.server.url);
  try {
    await until(() => lines().some((e) => e.type === "deploy" && e.version === 1), "the first deploy");
    expect(await client.wasmCall("hello", ["Ada"])).toBe("Hello, Ada!");

    const source = path.join(project, "assembly/hello.ts");
    await writeFile(source, (await readFile(source, "utf8")).replace('"Hello, "', '"Hi, "'));
    await until(() => lines().some((e) => e.type === "deploy" && e.version === 2), "the swap");
    expect(await client.wasmCall("hello", ["Ada"])).toBe("Hi, Ada!");

    const versions = JSON.parse((await cli(["versions", "hello", "--url", t.server.url, "--json"])).stdout);
    expect(versions.versions.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([[1, false], [2, true]]);
    expect((await cli(["rollback", "hello", "--url", t.server.url])).code).toBe(0);
    expect(await client.wasmCall("hello", ["Ada"])).toBe("Hello, Ada!");
    expect(dev.errors()).toBe("");
  } finally {
    await client.quit();
    dev.child.kill("SIGINT");
    await new Promise((r) => dev.child.once("exit", r));
  }
}, 120_000);
