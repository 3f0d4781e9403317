// ferrite.toml + flag overrides -> config, or an error naming the file, the key and the fix.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, DEFAULT_CONFIG, loadConfig, parseConfig } from "../../server/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-config-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

test("the embedded defaults are the spec's", () => {
  expect(DEFAULT_CONFIG.wasm).toEqual({
    enabled: true,
    plugins_dir: "/var/lib/ferrite/plugins",
    max_functions: 100,
    default_memory_limit: "10MB",
    default_timeout_ms: 1000,
    sandbox: true,
    http_allowed_hosts: [],
    capabilities: { default: ["read", "log"], allowed: ["read", "write", "delete", "http", "time", "random", "log"] },
  });
  expect(DEFAULT_CONFIG.server).toMatchObject({ bind: "127.0.0.1", port: 6379, store: "memory", users: [] });
});

test("the spec's example file parses; flags win over it", async () => {
  const p = await file(
    "spec.toml",
    `[wasm]
enabled = true
plugins_dir = "/srv/plugins"
max_functions = 100
default_memory_limit = "10MB"
default_timeout_ms = 1000
sandbox = true

[wasm.capabilities]
default = ["read", "log"]
allowed = ["read", "write", "delete", "http", "time", "random", "log"]

[server]
port = 7000
requirepass = "pw"
users = [{ name = "app", password = "x" }]
`,
  );
  const c = await loadConfig({ file: p, overrides: { server: { port: 7001, bind: "0.0.0.0" } } });
  expect(c.wasm.plugins_dir).toBe("/srv/plugins");
  expect(c.server).toMatchObject({ port: 7001, bind: "0.0.0.0", requirepass: "pw", users: [{ name: "app", password: "x" }] });
});

describe("errors name the file, the key and the fix", () => {
  test.each([
    ["[server]\nport = \"six\"\n", "server.port", /expected number/],
    ["[server]\nprot = 1\n", "server", /unknown key 'prot'; check the spelling/],
    ["[wasm]\ndefault_memory_limit = \"10XB\"\n", "wasm.default_memory_limit", /invalid memory limit "10XB": use a size such as "10MB"/],
    ["[wasm]\nsandbox = false\n", "wasm.sandbox", /functions always run sandboxed; remove the key or set it to true/],
    ["[wasm.capabilities]\ndefault = [\"http\"]\nallowed = [\"read\"]\n", "wasm.capabilities.default", /add it to allowed or drop it from default/],
    ["[wasm.capabilities]\nallowed = [\"teleport\"]\n", "wasm.capabilities.allowed.0", /unknown capability "teleport"/],
    ["[server]\nstore = \"mysql://x\"\n", "server.store", /store must be "memory" or a URL like "redis:\/\/127\.0\.0\.1:6380"/],
  ])("%j", async (text, key, message) => {
    const p = await file("bad.toml", text);
    const e = await loadConfig({ file: p }).catch((x) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.file).toBe(p);
    expect(e.key).toBe(key);
    expect(e.message).toContain(p);
    expect(e.message).toMatch(message);
  });

  test("TOML syntax: file:line:column", async () => {
    const p = await file("syntax.toml", "[server]\nport = = 1\n");
    await expect(loadConfig({ file: p })).rejects.toThrow(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:\\d+: .*fix the TOML syntax`));
  });

  test("a missing file", async () => {
    await expect(loadConfig({ file: path.join(dir, "nope.toml") })).rejects.toThrow(/nope\.toml does not exist; create it or leave out the config option/);
  });

  test("in-process options are checked the same way", () => {
    expect(() => parseConfig({ server: { port: 70000 } })).toThrow(/server\.port/);
  });
});
