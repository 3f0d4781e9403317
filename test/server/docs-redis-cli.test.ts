// Issue 9 item 10: docs/commands.md's "Loading a module with redis-cli" lines are run as written
// (only the port changes) with the real redis-cli, and each must give the reply the doc shows.
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { KV_WASM, startTestServer, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await mkdir(path.join(t.dir, "build"), { recursive: true });
  await writeFile(path.join(t.dir, "build", "kv.wasm"), KV_WASM);
});
afterAll(() => t?.close());

/** The section's shell block as [command, expected reply] pairs. */
async function documented(): Promise<[string, string][]> {
  const md = await readFile(new URL("../../docs/commands.md", import.meta.url), "utf8");
  const section = md.split("\n## Loading a module with redis-cli\n")[1].split("\n## ")[0];
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1].split("\n");
  const pairs: [string, string][] = [];
  for (let i = 0; i < block.length; i++) {
    if (!block[i].startsWith("redis-cli ")) continue;
    const reply = block[i + 1];
    expect(reply, `the line after "${block[i]}" shows its reply`).toMatch(/^# -> /);
    pairs.push([block[i], reply.slice("# -> ".length)]);
  }
  return pairs;
}

function sh(line: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", line], { cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`${line}: ${stderr || err.message}`));
      else resolve(stdout.replace(/\n+$/, ""));
    });
  });
}

test("every copy-paste line gives the reply the doc shows", async () => {
  const pairs = await documented();
  expect(pairs.length).toBeGreaterThanOrEqual(6);
  expect(pairs.some(([cmd]) => / -x WASM\.LOADB \S+ CAPABILITIES/.test(cmd))).toBe(true); // the form that fails is shown
  expect(pairs.some(([cmd]) => / -X wasm WASM\.LOADB \S+ wasm CAPABILITIES/.test(cmd))).toBe(true);
  for (const [cmd, reply] of pairs) {
    expect(cmd).toContain("-p 6379 ");
    expect(await sh(cmd.replace("-p 6379 ", `-p ${t.port} `), t.dir), cmd).toBe(reply);
  }
  // What was loaded is what the lines said.
  expect(JSON.parse(await t.cli(["WASM.INFO", "kv_set"])).capabilities).toEqual(["read", "write"]);
  expect(JSON.parse(await t.cli(["WASM.INFO", "kv_copy"])).capabilities).toEqual(["read", "write"]);
  expect(await t.cli(["WASM.CALL", "kv_set", "doc", "ok"])).toBe("OK");
  expect(await t.cli(["WASM.CALL", "kv_get", "doc"])).toBe("ok");
});
