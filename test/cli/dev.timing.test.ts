// `ferrite-wasm dev`: a source edit reaches the running server in under 2 s while a client calls the
// function in a loop, with no failed call; a compile error keeps the last good version serving.
// A timing test (run alone, `--project timing`): the bound is wall-clock and compiles need the CPU.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { freePort } from "../helpers/redis.js";
import { cli, ensureCliBuilt, spawnCli, tempDir } from "./helpers/cli.js";

let work: Awaited<ReturnType<typeof tempDir>>;
let project: string;
beforeAll(async () => {
  await ensureCliBuilt();
  work = await tempDir("ferrite-dev-");
  project = path.join(work.dir, "proj");
  const r = await cli(["new", project, "--template", "blank"]);
  expect(r.code).toBe(0);
});
afterAll(() => work?.cleanup());

/** Resolves once the client has had more than n replies (checked on every reply, no polling). */
function repliesPast(replies: unknown[], n: number, onReply: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (replies.length > n) {
        onReply.delete(check);
        resolve();
      }
    };
    onReply.add(check);
    check();
  });
}

test("hot swap under load: save to serving < 2 s, no failed call; a compile error keeps serving", async () => {
  const port = await freePort();
  const dev = spawnCli(["dev", "--port", String(port), "--json"], project);
  const events = dev.events;
  let client: FerriteClient | undefined;
  let stop = false;
  try {
    await dev.waitFor((e) => e.type === "deploy" && e.function === "hello", "the first deploy");
    // dev runs the tests once the first deploy serves; the user saves after that.
    await dev.waitFor((e) => e.type === "tests", "the first test run");
    expect(events().find((e) => e.type === "tests")).toMatchObject({ ok: true, failed: 0 });
    client = new FerriteClient(`redis://127.0.0.1:${port}`);

    // A client calls the function back to back for the whole session.
    const replies: { at: number; value: string; waitedMs: number }[] = [];
    const failures: string[] = [];
    const onReply = new Set<() => void>();
    const loop = (async () => {
      while (!stop) {
        const sent = performance.now();
        try {
          const value = (await client!.wasmCall("hello", ["Ada"]))!;
          replies.push({ at: Date.now(), value, waitedMs: performance.now() - sent });
        } catch (e) {
          failures.push((e as Error).message);
        }
        for (const f of [...onReply]) f();
      }
    })();
    await repliesPast(replies, 20, onReply);
    expect(replies.at(-1)!.value).toBe("Hello, Ada!");

    const source = path.join(project, "assembly/hello.ts");
    const original = await readFile(source, "utf8");
    const savedAt = Date.now();
    const before = events().length;
    const repliesBefore = replies.length;
    await writeFile(source, original.replace('"Hello, "', '"Hi, "'));
    // While the save compiles (on dev's build thread), calls keep their usual latency.
    await dev.waitFor((e, i) => i >= before && e.type === "build" && e.compiled === true, "the rebuild");
    const duringCompile = replies.slice(repliesBefore).map((r) => r.waitedMs);
    const deploy = await dev.waitFor((e) => e.type === "deploy" && e.version === 2, "the deploy event");
    await new Promise<void>((resolve) => {
      const check = () => {
        if (replies.some((r) => r.value === "Hi, Ada!")) {
          onReply.delete(check);
          resolve();
        }
      };
      onReply.add(check);
      check();
    });
    const latency = replies.find((r) => r.value === "Hi, Ada!")!.at - savedAt;
    console.log(`[dev] save to serving: ${latency} ms seen by the client (dev measured ${Math.round((deploy.servingAt as number) - (deploy.savedAt as number))} ms); ${replies.length} calls so far, ${failures.length} failed`);
    console.log(`[dev] builds: ${events().filter((e) => e.type === "build").map((e) => Math.round(e.durationMs as number)).join(", ")} ms; swap ${Math.round(deploy.durationMs as number)} ms`);
    console.log(`[dev] ${duringCompile.length} calls while the save compiled, the slowest waited ${Math.round(Math.max(...duringCompile))} ms`);
    expect(latency).toBeLessThan(2000);
    expect(Math.max(...duringCompile)).toBeLessThan(250);
    expect(deploy).toMatchObject({ function: "hello", version: 2 });

    // The template's test expects "Hello": dev runs it after the swap and reports the failure.
    await dev.waitFor((e) => e.type === "tests" && e.ok === false, "the failing tests");
    expect(events().find((e) => e.type === "tests" && e.ok === false)!.failures).toContainEqual(expect.stringMatching(/expected 'Hi, Ada!' to be 'Hello, Ada!'/));

    // A compile error: reported, nothing deployed, the last good version keeps answering.
    const count = replies.length;
    await writeFile(source, original.replace('"Hello, "', "oops("));
    const failed = await dev.waitFor((e) => e.type === "build" && e.ok === false, "the failed build");
    expect((failed.errors as string[]).join("\n")).toMatch(/assembly\/hello\.ts:\d+:\d+/);
    await repliesPast(replies, count + 20, onReply);
    expect(replies.at(-1)!.value).toBe("Hi, Ada!");

    stop = true;
    await loop;
    console.log(`[dev] ${replies.length} calls during the session, ${failures.length} failed`);
    expect(failures).toEqual([]);
  } finally {
    stop = true;
    client?.disconnect();
    dev.child.kill("SIGINT");
    await dev.exited();
  }
});
