// A Redis Cluster as the store: three real masters on loopback. `store = "redis://any-node"` finds
// the cluster; reads and commits go to each key's slot; a call whose keys span slots gets Redis's
// own CROSSSLOT error; the registry (one hash tag) serves every server. Commands passed through to
// the store (HSET, LPUSH, ...) and the key commands go to their first key's master too, following
// MOVED and ASK, and so do WATCH/MULTI and the reads triggers make.
import { Redis } from "ioredis";
import calculateSlot from "cluster-key-slot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS } from "../helpers/redis.js";
import { startCluster, type RedisCluster } from "../helpers/redis-cluster.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { wat, watFile } from "../helpers/wat.js";
import { RawSession } from "./parity.js";

const INCR = watFile(new URL("./fixtures/incr.wat", import.meta.url));
// For a trigger: refuses a SET whose value (argument 2) is longer than 5 bytes.
const SHORT = wat(`(module
  (import "env" "ferrite_arg" (func $arg (param i32) (result i32)))
  (import "env" "ferrite_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "too long")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "ferrite_alloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "short") (param $ptr i32) (param $len i32) (result i32)
    (if (i32.gt_u (i32.load (call $arg (i32.const 2))) (i32.const 5))
      (then (call $error (i32.const 16) (i32.const 8)) (return (i32.const 1))))
    (i32.const 0)))`);

describe.skipIf(!HAVE_REDIS)("a Redis Cluster store", () => {
  let cluster: RedisCluster;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
    for (let i = 0; i < 3; i++) servers.push(await startTestServer({ server: { store: cluster.url } }));
    const deployer = new Redis(servers[0].port, "127.0.0.1");
    await deployer.call("WASM.LOADB", "incr", Buffer.from(INCR), "CAPABILITIES", "read", "write", "TIMEOUT", "20000");
    deployer.disconnect();
  });
  afterAll(async () => {
    for (const t of servers) await t.close();
    await cluster?.stop();
  });

  /** The port of the master serving `key`'s slot, as the cluster itself says. */
  const ownerOf = async (key: string): Promise<number> => {
    const slot = calculateSlot(key);
    const serves = (range: string) => {
      const [lo, hi = lo] = range.split("-").map(Number);
      return slot >= lo && slot <= hi;
    };
    const line = (await cluster.cli(cluster.ports[0], ["CLUSTER", "NODES"])).split("\n").find((l) => l.split(" ").slice(8).some(serves));
    return Number(line!.split(" ")[1].split(":")[1].split("@")[0]);
  };
  /** One hash tag per master, the URL's node (ports[0]) included: keys "{tag}..." land there. */
  const tagsOnEveryMaster = async (): Promise<Map<number, string>> => {
    const tags = new Map<number, string>();
    for (let i = 0; tags.size < 3; i++) {
      const owner = await ownerOf(`{t${i}}`);
      if (!tags.has(owner)) tags.set(owner, `{t${i}}`);
    }
    return tags;
  };

  test("a deploy on one server is served by the other (registry in one slot)", async () => {
    let reply = "";
    for (let i = 0; i < 200 && reply !== "1"; i++) {
      reply = await servers[1].cli(["WASM.CALL", "incr", "{probe}:n"]);
      if (reply !== "1") await new Promise((r) => setTimeout(r, 25));
    }
    expect(reply).toBe("1");
  });

  test("40 clients incrementing keys on every master through three servers: exact", async () => {
    // Three counters whose slots belong to different masters, each with a mirror in its slot.
    const keys = ["{a}:n", "{b}:n", "{c}:n"];
    expect(new Set(keys.map((k) => calculateSlot(k) < 5461 ? 0 : calculateSlot(k) < 10923 ? 1 : 2)).size).toBe(3);
    const conns = Array.from({ length: 40 }, (_, i) => new Redis(servers[i % 3].port, "127.0.0.1", { maxRetriesPerRequest: 0 }));
    try {
      const replies = await Promise.all(
        conns.map(async (c, i) => {
          const key = keys[i % 3];
          const got: string[] = [];
          for (let j = 0; j < 15; j++) got.push(String(await c.call("WASM.CALL", "incr", key, key.replace(":n", ":mirror"))));
          return { key, got };
        }),
      );
      const direct = new Redis.Cluster([{ host: "127.0.0.1", port: cluster.ports[0] }]);
      for (const key of keys) {
        const clients = replies.filter((r) => r.key === key);
        const total = clients.length * 15;
        expect(await direct.get(key)).toBe(String(total));
        expect(await direct.get(key.replace(":n", ":mirror"))).toBe(String(total));
        expect(clients.flatMap((r) => r.got).map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      }
      await direct.quit();
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  test("increments stay exact while their slot moves to another master (MOVED and ASK followed)", async () => {
    const key = "{moving}:n";
    const slot = calculateSlot(key);
    const ids = new Map<number, string>();
    for (const p of cluster.ports) ids.set(p, await cluster.cli(p, ["CLUSTER", "MYID"]));
    const owner = async () => {
      const serves = (range: string) => {
        const [lo, hi = lo] = range.split("-").map(Number);
        return slot >= lo && slot <= hi;
      };
      const line = (await cluster.cli(cluster.ports[0], ["CLUSTER", "NODES"])).split("\n").find((l) => l.split(" ").slice(8).some(serves));
      return Number(line!.split(" ")[1].split(":")[1].split("@")[0]);
    };
    const src = await owner();
    const dst = cluster.ports.find((p) => p !== src)!;
    const conns = Array.from({ length: 20 }, (_, i) => new Redis(servers[i % 2].port, "127.0.0.1", { maxRetriesPerRequest: 0 }));
    let acked = 0;
    try {
      const load = Promise.all(
        conns.map(async (c) => {
          for (let j = 0; j < 30; j++) {
            await c.call("WASM.CALL", "incr", key, "{moving}:mirror");
            acked++;
          }
        }),
      );
      while (acked < 100) await new Promise((r) => setTimeout(r, 5));
      // Move the slot by hand, as redis-cli --cluster reshard does: IMPORTING/MIGRATING, MIGRATE, NODE.
      expect(await cluster.cli(dst, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", ids.get(src)!])).toBe("OK");
      expect(await cluster.cli(src, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", ids.get(dst)!])).toBe("OK");
      for (;;) {
        const keys = (await cluster.cli(src, ["CLUSTER", "GETKEYSINSLOT", String(slot), "100"])).split("\n").filter(Boolean);
        if (keys.length === 0) break;
        await cluster.cli(src, ["MIGRATE", "127.0.0.1", String(dst), "", "0", "5000", "KEYS", ...keys]);
      }
      for (const p of cluster.ports) await cluster.cli(p, ["CLUSTER", "SETSLOT", String(slot), "NODE", ids.get(dst)!]);
      await load;
      expect(await owner()).toBe(dst);
      const direct = new Redis.Cluster([{ host: "127.0.0.1", port: cluster.ports[0] }]);
      expect(await direct.mget(key, "{moving}:mirror")).toEqual(["600", "600"]);
      await direct.quit();
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  test("a call whose keys hash to different slots fails with CROSSSLOT and the hash-tag fix; nothing is written", async () => {
    const reply = await servers[0].cli(["WASM.CALL", "incr", "user:1", "user:2"]);
    expect(reply).toMatch(/^CROSSSLOT Keys in request don't hash to the same slot \(function 'incr' used 'user:1' in slot \d+ and 'user:2' in slot \d+\)/);
    expect(reply).toContain("give them one hash tag, e.g. '{user}user:1' and '{user}user:2'");
    expect(await servers[0].cli(["EXISTS", "user:1"])).toBe("0");
    expect(await servers[0].cli(["EXISTS", "user:2"])).toBe("0");
    expect(await servers[0].cli(["WASM.CALL", "incr", "{user}:1", "{user}:2"])).toBe("1");
  });

  test("KEYS, DBSIZE, SCAN and FLUSHDB cover every master and leave the registry out", async () => {
    const t = servers[0];
    await t.cli(["FLUSHDB"]);
    for (const k of ["x", "y", "z", "w"]) await t.cli(["SET", k, "1"]);
    expect((await t.cli(["KEYS", "*"])).split("\n").sort()).toEqual(["w", "x", "y", "z"]);
    expect(await t.cli(["DBSIZE"])).toBe("4");
    const seen: string[] = [];
    let cursor = "0";
    do {
      const [next, ...keys] = (await t.cli(["SCAN", cursor, "COUNT", "2"])).split("\n");
      cursor = next;
      seen.push(...keys.filter(Boolean));
    } while (cursor !== "0");
    expect(seen.sort()).toEqual(["w", "x", "y", "z"]);
    await t.cli(["FLUSHDB"]);
    expect(await t.cli(["DBSIZE"])).toBe("0");
    expect(await servers[1].cli(["WASM.CALL", "incr", "after-flush"])).toBe("1"); // still deployed
  });
  test("hashes and lists on every master through the server, as a cluster client sees them", async () => {
    const tags = await tagsOnEveryMaster();
    const t = servers[1];
    const direct = new Redis.Cluster([{ host: "127.0.0.1", port: cluster.ports[0] }]);
    try {
      for (const [port, tag] of tags) {
        expect(await t.cli(["HSET", `${tag}:h`, "f", `on ${port}`, "g", "2"])).toBe("2");
        expect(await t.cli(["HGET", `${tag}:h`, "f"])).toBe(`on ${port}`);
        expect(await t.cli(["HINCRBY", `${tag}:h`, "g", "3"])).toBe("5");
        expect(await t.cli(["LPUSH", `${tag}:l`, "x", "y", "z"])).toBe("3");
        expect(await t.cli(["LRANGE", `${tag}:l`, "0", "-1"])).toBe("z\ny\nx");
        // On the master that serves the slot (a plain client there would get MOVED otherwise) ...
        expect(await cluster.cli(port, ["HGET", `${tag}:h`, "f"])).toBe(`on ${port}`);
        // ... and as any cluster client reads it.
        expect(await direct.hgetall(`${tag}:h`)).toEqual({ f: `on ${port}`, g: "5" });
        expect(await direct.lrange(`${tag}:l`, 0, -1)).toEqual(["z", "y", "x"]);
      }
      // RESP3 replies come through too.
      const [port, tag] = [...tags].find(([p]) => p !== cluster.ports[0])!;
      const r3 = await RawSession.open(t.port);
      try {
        await r3.send(["HELLO", "3"]);
        const v = `on ${port}`;
        expect(await r3.send(["HGETALL", `${tag}:h`])).toBe(`%2\r\n$1\r\nf\r\n$${v.length}\r\n${v}\r\n$1\r\ng\r\n$1\r\n5\r\n`);
      } finally {
        r3.close();
      }
    } finally {
      direct.disconnect();
    }
  });

  test("SET, GET, DEL, EXPIRE and TTL on every master through the server", async () => {
    const tags = await tagsOnEveryMaster();
    const t = servers[2];
    const direct = new Redis.Cluster([{ host: "127.0.0.1", port: cluster.ports[0] }]);
    try {
      for (const [port, tag] of tags) {
        const key = `${tag}:s`;
        expect(await t.cli(["SET", key, `v${port}`])).toBe("OK");
        expect(await t.cli(["GET", key])).toBe(`v${port}`);
        expect(await direct.get(key)).toBe(`v${port}`);
        expect(await t.cli(["TTL", key])).toBe("-1");
        expect(await t.cli(["EXPIRE", key, "1000"])).toBe("1");
        const ttl = Number(await t.cli(["TTL", key]));
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(1000);
        expect(await direct.ttl(key)).toBeGreaterThan(0);
        expect(await t.cli(["MSET", `${key}:a`, "1", `${key}:b`, "2"])).toBe("OK"); // one slot: one tag
        expect(await t.cli(["DEL", key, `${key}:a`, `${key}:b`])).toBe("3");
        expect(await t.cli(["GET", key])).toBe("");
        expect(await direct.exists(key)).toBe(0);
        expect(await t.cli(["TTL", key])).toBe("-2");
      }
    } finally {
      direct.disconnect();
    }
  });

  test("a command whose keys hash to different slots gets Redis's CROSSSLOT error", async () => {
    const t = servers[0];
    const crossslot = "CROSSSLOT Keys in request don't hash to the same slot";
    expect(await t.cli(["MSET", "{a}:x", "1", "{b}:x", "2"])).toBe(crossslot);
    expect(await t.cli(["DEL", "{a}:x", "{c}:x"])).toBe(crossslot);
    expect(await t.cli(["SUNIONSTORE", "{a}:u", "{b}:s1", "{c}:s2"])).toBe(crossslot);
    expect(await t.cli(["EXISTS", "{a}:x"])).toBe("0");
  });

  test("MOVED and ASK are followed for commands passed through while a slot migrates", async () => {
    const t = servers[2];
    const key = "{migrating}:h";
    const slot = calculateSlot(key);
    const ids = new Map<number, string>();
    for (const p of cluster.ports) ids.set(p, await cluster.cli(p, ["CLUSTER", "MYID"]));
    expect(await t.cli(["HSET", key, "before", "1"])).toBe("1");
    const src = await ownerOf(key);
    const dst = cluster.ports.find((p) => p !== src)!;
    expect(await cluster.cli(dst, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", ids.get(src)!])).toBe("OK");
    expect(await cluster.cli(src, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", ids.get(dst)!])).toBe("OK");
    expect(await cluster.cli(src, ["MIGRATE", "127.0.0.1", String(dst), "", "0", "5000", "KEYS", key])).toBe("OK");
    // The key left the source: it answers ASK, and the command goes to the target after ASKING.
    expect(await cluster.cli(src, ["HGET", key, "before"])).toMatch(/^ASK /);
    expect(await t.cli(["HGET", key, "before"])).toBe("1");
    expect(await t.cli(["HSET", key, "during", "2"])).toBe("1");
    for (const p of cluster.ports) await cluster.cli(p, ["CLUSTER", "SETSLOT", String(slot), "NODE", ids.get(dst)!]);
    // Now the source answers MOVED: the server's map learns the new owner and sends it there.
    expect(await cluster.cli(src, ["HGET", key, "before"])).toMatch(/^MOVED /);
    expect(await t.cli(["HSET", key, "after", "3"])).toBe("1");
    expect(await t.cli(["HGETALL", key])).toBe("before\n1\nduring\n2\nafter\n3");
    expect(await cluster.cli(dst, ["HLEN", key])).toBe("3");
  });

  test("WATCH and MULTI/EXEC run on the master of their keys; keys on two masters get the reason", async () => {
    const tags = [...(await tagsOnEveryMaster()).entries()];
    const [, tag] = tags.find(([p]) => p !== cluster.ports[0])!;
    const [, other] = tags.find(([, t]) => t !== tag)!;
    const key = `${tag}:w`;
    const a = await RawSession.open(servers[0].port);
    const direct = new Redis.Cluster([{ host: "127.0.0.1", port: cluster.ports[0] }]);
    try {
      expect(await a.send(["WATCH", key])).toBe("+OK\r\n");
      expect(await a.send(["MULTI"])).toBe("+OK\r\n");
      expect(await a.send(["SET", key, "1"])).toBe("+QUEUED\r\n");
      expect(await a.send(["INCR", key])).toBe("+QUEUED\r\n");
      expect(await a.send(["EXEC"])).toBe("*2\r\n+OK\r\n:2\r\n");
      expect(await direct.get(key)).toBe("2");
      // A write by another client of the cluster aborts the EXEC: the WATCH is on the key's master.
      expect(await a.send(["WATCH", key])).toBe("+OK\r\n");
      await direct.set(key, "10");
      await a.send(["MULTI"]);
      await a.send(["INCR", key]);
      expect(await a.send(["EXEC"])).toBe("*-1\r\n");
      expect(await direct.get(key)).toBe("10");
      // Keys on two masters cannot be one transaction: the reason and the fix, and nothing runs.
      await a.send(["MULTI"]);
      await a.send(["SET", key, "x"]);
      await a.send(["SET", `${other}:w`, "x"]);
      expect(await a.send(["EXEC"])).toMatch(/^-ERR a transaction on a Redis Cluster store runs on one master, but '.*' \(slot \d+\) is on 127\.0\.0\.1:\d+ and '.*' \(slot \d+\) is on 127\.0\.0\.1:\d+; give its keys and the keys it WATCHes one hash tag/);
      expect(await direct.get(key)).toBe("10");
      expect(await a.send(["WATCH", key])).toBe("+OK\r\n");
      expect(await a.send(["WATCH", `${other}:w`])).toMatch(/^-ERR a transaction on a Redis Cluster store runs on one master/);
      expect(await a.send(["UNWATCH"])).toBe("+OK\r\n");
      // With the WATCH gone, the next transaction may go to another master.
      await a.send(["MULTI"]);
      await a.send(["SET", `${other}:w`, "y"]);
      expect(await a.send(["EXEC"])).toBe("*1\r\n+OK\r\n");
      expect(await direct.get(`${other}:w`)).toBe("y");
    } finally {
      a.close();
      direct.disconnect();
    }
  });

  test("a trigger's read of the current value comes from the key's master", async () => {
    const [, tag] = [...(await tagsOnEveryMaster()).entries()].find(([p]) => p !== cluster.ports[0])!;
    const t = servers[0];
    const c = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 0 });
    try {
      expect(await c.call("WASM.LOADB", "short", Buffer.from(SHORT))).toBe("OK");
      expect(await t.cli(["TRIGGER.CREATE", "short_values", "ON", `${tag}:t*`, "EVENTS", "SET", "ACTION", "CALL", "short"])).toBe("OK");
      expect(await t.cli(["SET", `${tag}:t1`, "abc"])).toBe("OK");
      // APPEND's event carries the whole value it will hold: read from the key's master, "abcabc".
      expect(await t.cli(["APPEND", `${tag}:t1`, "abc"])).toBe("FUNCERR too long (write refused by trigger 'short_values')");
      expect(await t.cli(["GET", `${tag}:t1`])).toBe("abc");
    } finally {
      await t.cli(["TRIGGER.DELETE", "short_values"]);
      c.disconnect();
    }
  });
});
