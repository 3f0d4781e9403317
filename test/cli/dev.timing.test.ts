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
}, 120_000);
afterAll(() => work?.cleanup());

interface Event {
  type: string;
  function?: string;
  ok?: boolean;
  [k: string]: unknown;
}

async function until(done: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("hot swap under load: save to serving < 2 s, no failed call; a compile error keeps serving", async () => {
  const port = await freePort();
  const dev = spawnCli(["dev", "--port", String(port), "--json"], project);
  const events = (): Event[] =>
    dev
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Event);
  let client: FerriteClient | undefined;
  let stop = false;
  try {
    await until(() => events().some((e) => e.type === "deploy" && e.function === "hello"), "the first deploy");
    // dev runs the tests once the first deploy serves; the user saves after that.
    await until(() => events().some((e) => e.type === "tests"), "the first test run");
    expect(events().find((e) => e.type === "tests")).toMatchObject({ ok: true, failed: 0 });
    client = new FerriteClient(`redis://127.0.0.1:${port}`);

    // A client calls the function back to back for the whole session.
    const replies: { at: number; value: string }[] = [];
    const failures: string[] = [];
    const loop = (async () => {
      while (!stop) {
        try {
          replies.push({ at: Date.now(), value: (await client!.wasmCall("hello", ["Ada"]))! });
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();
    await until(() => replies.length > 20, "calls to flow");
    expect(replies.at(-1)!.value).toBe("Hello, Ada!");

    const source = path.join(project, "assembly/hello.ts");
    const original = await readFile(source, "utf8");
    const savedAt = Date.now();
    await writeFile(source, original.replace('"Hello, "', '"Hi, "'));
    await until(() => replies.some((r) => r.value === "Hi, Ada!"), "the new version to serve", 10_000);
    const latency = replies.find((r) => r.value === "Hi, Ada!")!.at - savedAt;
    await until(() => events().some((e) => e.type === "deploy" && e.version === 2), "the deploy event");
    const deploy = events().find((e) => e.type === "deploy" && e.version === 2)!;
    console.log(`[dev] save to serving: ${latency} ms seen by the client (dev measured ${Math.round((deploy.servingAt as number) - (deploy.savedAt as number))} ms); ${replies.length} calls so far, ${failures.length} failed`);
    console.log(`[dev] builds: ${events().filter((e) => e.type === "build").map((e) => Math.round(e.durationMs as number)).join(", ")} ms; swap ${Math.round(deploy.durationMs as number)} ms`);
    expect(latency).toBeLessThan(2000);
    expect(deploy).toMatchObject({ function: "hello", version: 2 });

    // The template's test expects "Hello": dev runs it after the swap and reports the failure.
    await until(() => events().some((e) => e.type === "tests" && e.ok === false), "the failing tests");
    expect(events().find((e) => e.type === "tests" && e.ok === false)!.failures).toContainEqual(expect.stringMatching(/expected 'Hi, Ada!' to be 'Hello, Ada!'/));

    // A compile error: reported, nothing deployed, the last good version keeps answering.
    const before = replies.length;
    await writeFile(source, original.replace('"Hello, "', "oops("));
    await until(() => events().some((e) => e.type === "build" && e.ok === false), "the failed build", 30_000);
    const failed = events().find((e) => e.type === "build" && e.ok === false)!;
    expect((failed.errors as string[]).join("\n")).toMatch(/assembly\/hello\.ts:\d+:\d+/);
    await until(() => replies.length > before + 20, "calls after the failed build");
    expect(replies.at(-1)!.value).toBe("Hi, Ada!");

    stop = true;
    await loop;
    console.log(`[dev] ${replies.length} calls during the session, ${failures.length} failed`);
    expect(failures).toEqual([]);
  } finally {
    stop = true;
    client?.disconnect();
    dev.child.kill("SIGINT");
    await new Promise((r) => dev.child.once("exit", r));
  }
}, 120_000);
