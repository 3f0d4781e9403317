// The deploy story end to end with real parts: `ferrite-wasm serve` (the built CLI, a subprocess),
// every template scaffolded, built and deployed with the CLI, then called with the real redis-cli;
// the remote commands (list, info, stats, update, reload, unload, call --url), ioredis, node-redis.
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TEMPLATES } from "../../cli/scaffold/template-table.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { redisCli } from "../helpers/server.js";
import { cli, ensureCliBuilt, tempDir } from "./helpers/cli.js";
import { HAVE_REDIS_CLI, startServe, type ServeProcess } from "./helpers/serve.js";

/** Per template: the function, the keys to seed, one call and what it must reply. */
const CASES: Record<string, { fn: string; seed?: Record<string, unknown>; args: string[]; expect: (reply: string) => void }> = {
  blank: { fn: "hello", args: ["Ada"], expect: (r) => expect(r).toBe("Hello, Ada!") },
  validate: { fn: "validate", args: ['{"email": "ada@example.com"}'], expect: (r) => expect(JSON.parse(r)).toEqual({ valid: true }) },
  transform: {
    fn: "transform_user",
    args: ['{"id": 7, "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.COM"}'],
    expect: (r) => expect(JSON.parse(r)).toMatchObject({ id: 7, full_name: "Ada Lovelace", email: "ada@example.com" }),
  },
  aggregate: {
    fn: "aggregate_stats",
    seed: { "price:1": "10", "price:2": "20.5", "price:3": "30" },
    args: ["price:1", "price:2", "price:3"],
    expect: (r) => expect(JSON.parse(r)).toMatchObject({ sum: 60.5, count: 3 }),
  },
  "process-order": {
    fn: "process_order",
    seed: {
      "order:1001": { id: "1001", user_id: "7", items: [{ sku: "lamp", qty: 2, price: 60 }], total: 120 },
      "user:7": { id: "7", name: "Ada", membership: "premium" },
    },
    args: ["order:1001"],
    expect: (r) => expect(JSON.parse(r)).toEqual({ total: 102, discount: 0.15 }),
  },
};

let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: ServeProcess;
let pluginsDir: string;
const projectDir = (template: string) => path.join(tmp.dir, template);
const remote = (args: string[], cwd = tmp.dir) => cli([...args, "--url", server.url], { cwd });

beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-remote-");
  pluginsDir = tmp.dir;
  server = await startServe(["--plugins-dir", pluginsDir], tmp.dir);
  // Scaffold and build the templates two at a time: compiles are the slow part, and more at once
  // starve the build's own start-up check (a 100 ms timeout) on a 2-core machine.
  const queue = TEMPLATES.map((t) => t.name);
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const created = await cli(["new", projectDir(t), "--template", t, "--json"]);
      expect(created.code, created.stderr).toBe(0);
      const built = await cli(["build"], { cwd: projectDir(t) });
      expect(built.code, `build of ${t} failed: ${built.stderr}${built.stdout}`).toBe(0);
    }
  };
  await Promise.all([worker(), worker()]);
});

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await tmp?.cleanup();
});

describe.skipIf(!HAVE_REDIS_CLI)("each template: new, build, deploy, WASM.CALL with redis-cli", () => {
  test.each(TEMPLATES.map((t) => t.name))("%s", async (template) => {
    const c = CASES[template];
    const deployed = await remote(["deploy", "--json"], projectDir(template));
    expect(deployed.code, deployed.stderr).toBe(0);
    const report = JSON.parse(deployed.stdout);
    expect(report.ok).toBe(true);
    expect(report.functions).toMatchObject([{ name: c.fn, ok: true, mismatches: [] }]);
    expect(report.functions[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const [k, v] of Object.entries(c.seed ?? {})) {
      expect(await redisCli(server.port, ["SET", k, typeof v === "string" ? v : JSON.stringify(v)])).toBe("OK");
    }
    c.expect(await redisCli(server.port, ["WASM.CALL", c.fn, ...c.args]));
  });

  test("a function's writes are visible to redis-cli", async () => {
    const order = JSON.parse(await redisCli(server.port, ["GET", "order:1001"]));
    expect(order).toMatchObject({ total: 102, discount: 0.15 });
  });
});

describe("remote commands", () => {
  beforeAll(async () => {
    // The template tests above deploy; make sure these two are there when run alone.
    for (const t of ["blank", "process-order"]) await remote(["deploy"], projectDir(t));
  });

  test("the deploy table names the function, its size, sha and settings", async () => {
    const r = await remote(["deploy", "--replace"], projectDir("blank"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ hello\s+[\d.]+ KB\s+[0-9a-f]{12}\s+none\s+1MB\s+100 ms/);
    expect(r.stdout).toContain(`Deployed 1 function to ${server.url}; checked with WASM.INFO.`);
  });

  test("deploying over a loaded function without --replace fails and says to pass it", async () => {
    const r = await remote(["deploy"], projectDir("blank"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("EXISTS function 'hello' already exists");
    expect(r.stderr).toContain("pass --replace");
  });

  test("list, info, stats", async () => {
    const list = JSON.parse((await remote(["list", "--json"])).stdout);
    expect(list.functions.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(["hello", "process_order"]));
    const text = await remote(["list"]);
    expect(text.stdout).toMatch(/hello\s+[\d.]+ KB\s+none\s+1MB\s+100 ms/);

    const info = await remote(["info", "process_order", "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ name: "process_order", entry: "process_order", capabilities: ["read", "write"], memory_limit_bytes: 2 * 1024 * 1024, timeout_ms: 500, path: null });
    expect((await remote(["info", "process_order"])).stdout).toMatch(/capabilities read, write/);

    await remote(["call", "hello", "Ada"]);
    const one = JSON.parse((await remote(["stats", "hello", "--json"])).stdout);
    expect(one).toMatchObject({ function: "hello", successful: expect.any(Number) });
    expect(one.invocations).toBeGreaterThanOrEqual(1);
    const all = JSON.parse((await remote(["stats", "--json"])).stdout);
    expect(all.functions.hello.invocations).toBe(one.invocations);
    expect(all.totals.functions).toBeGreaterThanOrEqual(2);
    expect((await remote(["stats"])).stdout).toMatch(/\d+ functions? · \d+ calls/);
  });

  test("info of an unknown function fails with the server's reply and a fix", async () => {
    const r = await remote(["info", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NOFUNC unknown function 'nope'");
    expect(r.stderr).toContain("ferrite-wasm list");
  });

  test("update changes settings; a later deploy --replace restores ferrite.toml's", async () => {
    const r = await remote(["update", "hello", "--timeout", "250", "--memory", "2MB", "--capabilities", "read,log", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, capabilities: ["read", "log"], memory: "2MB", timeoutMs: 250 });
    expect(await redisCli(server.port, ["WASM.CALL", "hello", "again"])).toBe("Hello, again!");
    const nothing = await remote(["update", "hello"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("nothing to update");
    expect((await remote(["deploy", "--replace"], projectDir("blank"))).code).toBe(0);
    expect(JSON.parse((await remote(["info", "hello", "--json"])).stdout)).toMatchObject({ capabilities: [], timeout_ms: 100 });
  });

  test("reload re-reads a WASM.LOAD file; a deployed function says to deploy --replace", async () => {
    await copyFile(path.join(projectDir("blank"), "build/hello.wasm"), path.join(pluginsDir, "hello.wasm"));
    expect(await redisCli(server.port, ["WASM.LOAD", "hello_file", "hello.wasm", "REPLACE"])).toBe("OK");
    const r = await remote(["reload", "hello_file"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Reloaded hello_file from .*hello\.wasm/);
    const bytes = await remote(["reload", "hello"]);
    expect(bytes.code).toBe(1);
    expect(bytes.stderr).toContain("has no file to reload");
    expect(bytes.stderr).toContain("deploy --replace");

    const gone = await remote(["unload", "hello_file"]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain("Unloaded hello_file");
    expect(JSON.parse((await remote(["list", "--json"])).stdout).functions.map((f: { name: string }) => f.name)).not.toContain("hello_file");
    expect((await remote(["unload", "hello_file"])).code).toBe(1);
  });

  test("call --url: reply on stdout, --read-only refuses writes, failures exit 1", async () => {
    const ok = await remote(["call", "hello", "Ada"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("Hello, Ada!\n");
    expect(ok.stderr).toContain("WASM.CALL on");

    const json = JSON.parse((await remote(["call", "hello", "Zoë 👋", "--json"])).stdout);
    expect(json).toMatchObject({ ok: true, function: "hello", command: "WASM.CALL", value: "Hello, Zoë 👋!" });

    await redisCli(server.port, ["SET", "order:7", JSON.stringify({ id: "7", user_id: "7", items: [], total: 10 })]);
    const ro = await remote(["call", "process_order", "order:7", "--read-only"]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toContain("NOWRITE function 'process_order' attempted a write in WASM.CALLREAD");
    expect(JSON.parse(await redisCli(server.port, ["GET", "order:7"])).total).toBe(10);

    const unknown = await remote(["call", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("NOFUNC unknown function 'nope'");
  });
});

describe("other Redis clients call a deployed template function", () => {
  beforeAll(async () => {
    await remote(["deploy", "--replace"], projectDir("validate"));
  });

  test("ioredis", async () => {
    const redis = new Redis(server.url, { lazyConnect: true });
    await redis.connect();
    try {
      expect(await redis.call("WASM.CALL", "validate", '{"email": "ada@example.com"}')).toBe('{"valid":true}');
      expect(await redis.call("WASM.CALLREAD", "validate", '{"email": "nope"}')).toBe('{"valid":false}');
      await expect(redis.call("WASM.CALL", "validate", "not json")).rejects.toThrow(/^FUNCERR /);
    } finally {
      redis.disconnect();
    }
  });

  test("node-redis", async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(await client.sendCommand(["WASM.CALL", "validate", '{"email": "ada@example.com"}'])).toBe('{"valid":true}');
      expect(await client.sendCommand(["WASM.LIST"])).toContain("validate");
    } finally {
      await client.close();
    }
  });
});

describe.skipIf(!HAVE_REDIS || !HAVE_REDIS_CLI)("serve --store redis://: the keyspace lives in a real redis-server", () => {
  let redis: RedisProcess;
  let backed: ServeProcess;
  beforeAll(async () => {
    redis = await startRedis();
    backed = await startServe(["--store", redis.url], tmp.dir);
  });
  afterAll(async () => {
    expect(await backed?.stop()).toBe(0);
    await redis?.stop();
  });

  test("a deployed function's writes land in Redis; a failed call leaves it untouched", async () => {
    const order = JSON.stringify({ id: "1001", user_id: "7", items: [{ sku: "lamp", qty: 2, price: 60 }], total: 120 });
    await redis.cli(["SET", "order:1001", order]);
    await redis.cli(["SET", "user:7", JSON.stringify({ id: "7", name: "Ada", membership: "premium" })]);
    const deployed = await cli(["deploy", "--url", backed.url], { cwd: projectDir("process-order") });
    expect(deployed.code, deployed.stderr).toBe(0);

    const ro = await cli(["call", "--url", backed.url, "process_order", "order:1001", "--read-only"]);
    expect(ro.code).toBe(1);
    expect(await redis.cli(["GET", "order:1001"])).toBe(order);

    const ok = await cli(["call", "--url", backed.url, "process_order", "order:1001"]);
    expect(JSON.parse(ok.stdout)).toEqual({ total: 102, discount: 0.15 });
    expect(JSON.parse(await redis.cli(["GET", "order:1001"]))).toMatchObject({ total: 102, discount: 0.15 });
  });
});
