// Issue 9 item 8: SELECT n. The embedded store has [server] databases of them (16 by default) for the
// key commands and for functions' keys; a Redis store has its own; a Redis Cluster only database 0.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer } from "../../server/index.js";
import { freePort, HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { redisCli, startTestServer, type TestServer } from "../helpers/server.js";
import { both, RawSession, sideBySide } from "./parity.js";
import { HAVE_REDIS_PY, redisPy } from "./pyredis.js";

let redis: RedisProcess;
let t: TestServer;
beforeAll(async () => {
  redis = await startRedis();
  t = await startTestServer();
  await t.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read", "write"]);
  await t.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

describe.skipIf(!HAVE_REDIS)("byte for byte as redis-server", () => {
  const script = [
    ["FLUSHALL"], ["SET", "a", "0"], ["SELECT", "16"], ["SELECT", "-1"], ["SELECT", "x"], ["SELECT", "15"], ["DBSIZE"], ["SET", "a", "15"], ["DBSIZE"],
    ["SELECT", "2"], ["SET", "b", "2"], ["SET", "c", "2"], ["DBSIZE"], ["MOVE", "b", "2"], ["MOVE", "b", "0"], ["MOVE", "b", "0"], ["MOVE", "nope", "1"],
    ["MOVE", "c", "16"], ["MOVE", "c", "x"], ["SET", "a", "2"], ["MOVE", "a", "0"], ["COPY", "a", "a", "DB", "0"], ["COPY", "a", "a", "DB", "0", "REPLACE"],
    ["SELECT", "0"], ["GET", "a"], ["GET", "b"], ["DBSIZE"], ["SWAPDB", "0", "2"], ["DBSIZE"], ["GET", "a"], ["GET", "c"], ["SWAPDB", "0", "x"], ["SWAPDB", "x", "0"],
    ["SWAPDB", "0", "16"], ["SWAPDB", "2", "0"], ["FLUSHDB"], ["DBSIZE"], ["SELECT", "15"], ["DBSIZE"], ["FLUSHALL", "SYNC"], ["DBSIZE"], ["SELECT", "2"], ["DBSIZE"],
  ];
  test("SELECT, DBSIZE, MOVE, COPY ... DB, SWAPDB, FLUSHDB, FLUSHALL", async () => {
    const [expected, actual] = await both(redis.port, t.port, script);
    expect(sideBySide(script, actual)).toEqual(sideBySide(script, expected));
  });
});

describe("each database is its own keyspace", () => {
  test("node-redis with redis://host:port/2 works in database 2", async () => {
    const c = createClient({ url: `redis://127.0.0.1:${t.port}/2` });
    c.on("error", () => {});
    await c.connect();
    try {
      await c.set("nr2", "in two");
      expect(await c.get("nr2")).toBe("in two");
      expect(await t.cli(["GET", "nr2"])).toBe("");
      expect(await t.cli(["GET", "nr2"], { flags: ["-n", "2"] })).toBe("in two");
      expect((await c.clientInfo()).db).toBe(2);
    } finally {
      await c.quit();
    }
  });

  test.skipIf(!HAVE_REDIS_PY)("redis-py with db=1", async () => {
    const out = await redisPy(t.port, `r.set("py1", "one")\nprint(json.dumps([r.get("py1").decode(), r.dbsize() >= 1, r.client_info()["db"]]))`, 1);
    expect(out).toEqual(["one", true, 1]);
    expect(await t.cli(["EXISTS", "py1"])).toBe("0");
    expect(await t.cli(["EXISTS", "py1"], { flags: ["-n", "1"] })).toBe("1");
  });

  test("a function called from database 2 reads and writes database 2", async () => {
    const s = await RawSession.open(t.port);
    try {
      await s.send(["SELECT", "2"]);
      await s.send(["SET", "f:src", "two"]);
      expect(await s.send(["WASM.CALL", "kv_get", "f:src"])).toBe("$3\r\ntwo\r\n");
      expect(await s.send(["WASM.CALL", "kv_set", "f:dst", "written in 2"])).toBe("$2\r\nOK\r\n");
      expect(await s.send(["GET", "f:dst"])).toBe("$12\r\nwritten in 2\r\n");
      await s.send(["SELECT", "0"]);
      expect(await s.send(["WASM.CALL", "kv_get", "f:src"])).toBe("$-1\r\n");
      expect(await s.send(["EXISTS", "f:dst"])).toBe(":0\r\n");
      expect(await t.cli(["INFO", "keyspace"])).toMatch(/^db2:keys=\d+,expires=0,avg_ttl=0/m);
    } finally {
      s.close();
    }
  });

  test("[server] databases sets how many there are", async () => {
    const s = await startServer({ config: { server: { port: 0, databases: 4 } } });
    try {
      expect(await redisCli(s.port, ["CONFIG", "GET", "databases"])).toBe("databases\n4");
      expect(await redisCli(s.port, ["SELECT", "3"])).toBe("OK");
      expect(await redisCli(s.port, ["SELECT", "4"])).toBe("ERR DB index is out of range");
    } finally {
      await s.close();
    }
  });
});

describe.skipIf(!HAVE_REDIS)('store = "redis://...": the store\'s own databases', () => {
  let store: RedisProcess;
  let s: TestServer;
  beforeAll(async () => {
    store = await startRedis();
    s = await startTestServer({ server: { store: `${store.url}/1` } });
    await s.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read", "write"]);
    await s.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
  });
  afterAll(async () => {
    await s?.close();
    await store?.stop();
  });

  test("clients start in the URL's database; SELECT n uses the store's database n, for keys and functions", async () => {
    const c = await RawSession.open(s.port);
    try {
      expect(await c.send(["SET", "home", "1"])).toBe("+OK\r\n");
      expect(await redisCli(store.port, ["-n", "1", "GET", "home"])).toBe("1");
      expect(await c.send(["SELECT", "3"])).toBe("+OK\r\n");
      await c.send(["SET", "k3", "three"]);
      expect(await c.send(["WASM.CALL", "kv_get", "k3"])).toBe("$5\r\nthree\r\n");
      expect(await c.send(["WASM.CALL", "kv_set", "f3", "by a function"])).toBe("$2\r\nOK\r\n");
      expect(await redisCli(store.port, ["-n", "3", "MGET", "k3", "f3"])).toBe("three\nby a function");
      expect(await redisCli(store.port, ["-n", "0", "DBSIZE"])).toBe("0");
      expect(await c.send(["SELECT", "16"])).toBe("-ERR DB index is out of range\r\n");
      expect(await c.send(["MOVE", "k3", "4"])).toBe(":1\r\n");
      expect(await redisCli(store.port, ["-n", "4", "GET", "k3"])).toBe("three");
    } finally {
      c.close();
    }
  });
});

describe.skipIf(!HAVE_REDIS)("a Redis Cluster store: database 0 only, with Redis's error", () => {
  let node: ChildProcess;
  let dir: string;
  let port: number;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-cluster-"));
    // A free port may be taken by someone else before redis-server binds it: then try another.
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      node = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, `nodes-${attempt}.conf`), "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
      const exited = new Promise<"exited">((r) => node.once("exit", () => r("exited")));
      let up = false;
      while (!up && node.exitCode === null) {
        up = (await redisCli(port, ["PING"]).catch(() => "")) === "PONG";
        if (!up) await Promise.race([exited, new Promise((r) => setTimeout(r, 25))]);
      }
      if (up) break;
      if (attempt === 2) throw new Error(`redis-server --cluster-enabled yes did not start (exit code ${node.exitCode})`);
    }
    expect(await redisCli(port, ["CLUSTER", "ADDSLOTSRANGE", "0", "16383"])).toBe("OK");
    while (!(await redisCli(port, ["CLUSTER", "INFO"])).includes("cluster_state:ok")) await new Promise((r) => setTimeout(r, 25));
  });
  afterAll(async () => {
    if (node && node.exitCode === null) {
      const exited = new Promise((r) => node.once("exit", r));
      node.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test("SELECT 0 works, SELECT 1 gets Redis Cluster's error", async () => {
    const s = await startServer({ config: { server: { port: 0, store: `redis://127.0.0.1:${port}` } } });
    try {
      expect(await redisCli(s.port, ["SELECT", "0"])).toBe("OK");
      expect(await redisCli(s.port, ["SELECT", "1"])).toBe("ERR SELECT is not allowed in cluster mode");
      expect(await redisCli(s.port, ["CONFIG", "GET", "databases"])).toBe("databases\n1");
      expect(await redisCli(s.port, ["SET", "ck", "v"])).toBe("OK");
      expect(await redisCli(port, ["GET", "ck"])).toBe("v");
      // The node does not know its own address (CLUSTER SLOTS gives an empty host): the one the
      // server was given serves every slot, for commands passed through and whole-keyspace ones.
      expect(await redisCli(port, ["CLUSTER", "SLOTS"])).toMatch(/^0\n16383\n\n\d+\n/);
      expect(await redisCli(s.port, ["HSET", "ch", "f", "v"])).toBe("1");
      expect(await redisCli(s.port, ["HGET", "ch", "f"])).toBe("v");
      expect(await redisCli(s.port, ["DBSIZE"])).toBe("2");
    } finally {
      await s.close();
    }
  });
});
