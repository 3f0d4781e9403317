// Seeing what deployed functions do, with real parts: a project built and deployed by the CLI to
// `ferrite-wasm serve` (a subprocess); `logs --follow` streaming what a call wrote; a call that traps
// on the server replayed here with its AssemblyScript line; the saved regression test failing, then
// passing after the fix; `serve --metrics-port`.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cli, ensureCliBuilt, spawnCli, tempDir } from "./helpers/cli.js";
import { startServe, type ServeProcess } from "./helpers/serve.js";

const MANIFEST = `[functions.share]
source = "assembly/share.ts"
capabilities = ["read", "time", "random", "log"]
memory = "1MB"
timeout_ms = 500
`;

const SOURCE = `// share: reads the count stored under the key it is given and splits 1000 by it.
import { args, keys, log, now, random, output, fail } from "ferrite-wasm/sdk";

export function share(ptr: i32, len: i32): i32 {
  const key = args.string(0);
  if (key === null) return fail("share needs a key");
  const text = keys.get(key);
  if (text === null) return fail("no key '" + key + "'");
  const count = I32.parseInt(text);
  const t = now();
  const r = random();
  log.info("count " + count.toString());
  const each = 1000 / count;
  output.string(each.toString() + " " + t.toString() + " " + (<i32>Math.floor(r * 1000)).toString());
  return 0;
}
`;
const TRAP_LINE = SOURCE.split("\n").findIndex((l) => l.includes("1000 / count")) + 1;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: ServeProcess;
let redis: Redis;
let project: string;
const remote = (args: string[], cwd = project) => cli([...args, "--url", server.url], { cwd });

beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-observe-");
  project = path.join(tmp.dir, "shop");
  const created = await cli(["new", project, "--template", "blank", "--json"]);
  expect(created.code, created.stderr).toBe(0);
  await rm(path.join(project, "assembly/hello.ts"));
  await rm(path.join(project, "test/hello.test.ts"));
  await writeFile(path.join(project, "ferrite.toml"), MANIFEST);
  await writeFile(path.join(project, "assembly/share.ts"), SOURCE);
  const built = await cli(["build"], { cwd: project });
  expect(built.code, built.stderr + built.stdout).toBe(0);
  server = await startServe(["--metrics-port", "0"], tmp.dir);
  const deployed = await remote(["deploy"]);
  expect(deployed.code, deployed.stderr).toBe(0);
  redis = new Redis(server.url);
  await redis.set("four", "4");
  await redis.set("zero", "0");
}, 240_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  await tmp?.cleanup();
});

/** Resolves once `predicate` holds for what the child printed on stdout so far. */
function waitForOutput(child: ReturnType<typeof spawnCli>, predicate: (stdout: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(child.output())) {
        child.child.stdout!.off("data", check);
        resolve(child.output());
      }
    };
    child.child.stdout!.on("data", check);
    child.child.once("exit", (code) => reject(new Error(`logs exited (${code}) before printing what was expected: ${child.output()}${child.errors()}`)));
    check();
  });
}

describe("ferrite-wasm logs", () => {
  test("--follow sees a call's log line and its call event as they happen", async () => {
    const follower = spawnCli(["logs", "share", "--follow", "--json", "--url", server.url], project);
    try {
      expect(await redis.call("WASM.CALL", "share", "four")).toMatch(/^250 \d+ \d+$/);
      const seen = (out: string) => out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const output = await waitForOutput(follower, (out) => seen(out).some((e) => e.type === "call"));
      const entries = seen(output);
      expect(entries.map((e) => [e.type, e.message ?? e.outcome])).toEqual([
        ["log", "count 4"],
        ["call", "ok"],
      ]);
      expect(entries[1]).toMatchObject({ function: "share", version: 1, via: "wasm.call" });
      // and it keeps following
      await expect(redis.call("WASM.CALL", "share", "zero")).rejects.toThrow(/trapped: divide by zero/);
      await waitForOutput(follower, (out) => seen(out).some((e) => e.outcome === "ERR_TRAP"));
    } finally {
      follower.child.kill("SIGINT");
    }
    const code = await new Promise((resolve) => (follower.child.exitCode !== null ? resolve(follower.child.exitCode) : follower.child.once("exit", resolve)));
    expect(code).toBe(0);
  });

  test("without --follow it prints what the server kept, as text", async () => {
    const r = await remote(["logs", "share", "-n", "4"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\S+Z share v1 info +count 4$/);
    expect(lines[1]).toMatch(/^\S+Z share v1 call +ok \d+\.\d\d ms$/);
    expect(lines[3]).toMatch(/^\S+Z share v1 call +ERR_TRAP \d+\.\d\d ms TRAP function 'share' trapped: divide by zero {2}replay: ferrite-wasm replay share \d+-\d+$/);
  });

  test("--since takes a time and bad values say what to write", async () => {
    const r = await remote(["logs", "--since", "1h", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(4);
    const bad = await remote(["logs", "--since", "yesterday"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("'yesterday' is not a time; write 30s, 10m, 2h, 1d, an ISO time");
  });
});

describe("ferrite-wasm replay", () => {
  test("a call that trapped on the server fails the same way here, with its AssemblyScript line", async () => {
    await redis.set("zero", "0");
    await expect(redis.call("WASM.CALL", "share", "zero")).rejects.toThrow("TRAP function 'share' trapped: divide by zero");
    await redis.set("zero", "7"); // the data moved on; the record keeps what the call read
    const r = await remote(["replay", "share"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain("module  version 1, sha256");
    expect(r.stdout).toContain("from local build build/share.wasm");
    expect(r.stdout).toMatch(new RegExp(`TRAP function 'share' trapped: divide by zero at assembly/share\\.ts:${TRAP_LINE}:\\d+`));
    expect(r.stdout).toContain("the same error as on the server (with the source position added)");
    expect(r.stdout).toMatch(/ran in +\d/);

    const j = await remote(["replay", "share", "--json"]);
    const report = JSON.parse(j.stdout);
    expect(report).toMatchObject({ ok: true, same_error: true, function: "share", version: 1, module: { from: "local build", source_map: true }, error: { code: "ERR_TRAP" } });
    expect(report.logs).toEqual([{ level: "info", message: "count 0" }]);
    expect(typeof report.duration_ms).toBe("number");
  });

  test("outside the project it replays on the server's copy of the module", async () => {
    const r = await remote(["replay", "share", "--json"], tmp.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ same_error: true, module: { from: "server", source_map: false }, error: { message: "function 'share' trapped: divide by zero" } });
  });

  test("--list shows the kept calls; an id the server does not keep is named", async () => {
    const list = await remote(["replay", "share", "--list", "--json"]);
    const kept = JSON.parse(list.stdout).failures;
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept[0]).toMatchObject({ function: "share", code: "ERR_TRAP" });
    const one = await remote(["replay", "share", kept[1].id, "--json"]);
    expect(JSON.parse(one.stdout).id).toBe(kept[1].id);
    const missing = await remote(["replay", "share", "1-1"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("keeps no failed call '1-1' of 'share'");
  });

  test("--save writes a test that fails today and passes once the function is fixed", async () => {
    const saved = await remote(["replay", "share", "--save", "test/regressions/share-zero.test.ts"]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain("saved as");
    const text = await readFile(path.join(project, "test/regressions/share-zero.test.ts"), "utf8");
    expect(text).toContain('from "ferrite-wasm/testing"');
    expect(text).toContain('new URL("../../", import.meta.url)');

    const before = await cli(["test", "share-zero"], { cwd: project });
    expect(before.code, before.stdout + before.stderr).toBe(1);
    expect(before.stdout + before.stderr).toContain("the replayed call still fails");

    await writeFile(path.join(project, "assembly/share.ts"), SOURCE.replace("const each = 1000 / count;", "const each = count == 0 ? 0 : 1000 / count;"));
    const after = await cli(["test", "share-zero"], { cwd: project });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain("1 passed");
  });

  test("a function unloaded since replays from the record and a local build with the same hash", async () => {
    await writeFile(path.join(project, "assembly/share.ts"), SOURCE); // back to the build that ran
    expect((await cli(["build"], { cwd: project })).code).toBe(0);
    expect(await redis.call("WASM.UNLOAD", "share")).toBe("OK");
    const r = await remote(["replay", "share", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ same_error: true, module: { from: "local build" } });
    const elsewhere = await remote(["replay", "share"], tmp.dir);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("no module with the hash of the one that ran");
    expect(elsewhere.stderr).toContain("there is no local build of it here");
  });
});

describe("ferrite-wasm serve --metrics-port", () => {
  test("serves Prometheus text that counts the calls made", async () => {
    const ready = JSON.parse(server.output().split("\n").find((l) => l.includes('"ready"'))!);
    expect(ready.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(ready.metricsUrl)).text();
    expect(text).toMatch(/^ferrite_wasm_calls_total\{function="share",outcome="ok"\} [1-9]/m);
    expect(text).toMatch(/^ferrite_wasm_calls_total\{function="share",outcome="trap"\} [1-9]/m);
  });
});
