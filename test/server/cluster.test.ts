// A Redis Cluster as the store: three real masters on loopback. `store = "redis://any-node"` finds
// the cluster; reads and commits go to each key's slot; a call whose keys span slots gets Redis's
// own CROSSSLOT error; the registry (one hash tag) serves every server.
import { Redis } from "ioredis";
import calculateSlot from "cluster-key-slot";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS } from "../helpers/redis.js";
import { startCluster, type RedisCluster } from "../helpers/redis-cluster.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { watFile } from "../helpers/wat.js";

const INCR = watFile(new URL("./fixtures/incr.wat", import.meta.url));

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
});
