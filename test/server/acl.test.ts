// Users and permissions (Redis ACL rules): a caller that may only call functions, refused with
// Redis's NOPERM texts on deploy commands and on keys outside its patterns, directly and through a
// function or a trigger; per-function KEYS; ACL LIST/GETUSER as a real redis-server prints them.
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { KV_WASM, redisCli, startTestServer, type TestServer } from "../helpers/server.js";

const APP = ["--user", "app", "--pass", "secret", "--no-auth-warning"];
const noperm = (cmd: string, user = "app") => `NOPERM User ${user} has no permissions to run the '${cmd}' command`;
const NOPERM_KEY = "NOPERM No permissions to access a key";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    server: {
      users: [
        { name: "app", rules: "on >secret ~user:* +@wasm-call +get +set +mset +acl|whoami" },
        { name: "deployer", rules: "on >deploy ~* +@wasm +@read +@write" },
        // the older shape: every permission
        { name: "ops", password: "ops-pass" },
      ],
    },
  });
  for (const fn of ["kv_get", "kv_set", "kv_copy"]) {
    expect(await t.cli(["WASM.LOAD", fn, "kv.wasm", "CAPABILITIES", "read", "write"])).toBe("OK");
  }
  await t.cli(["MSET", "user:1", "alice", "billing:1", "secret-amount"]);
});
afterAll(() => t?.close());

describe("the default user and AUTH", () => {
  test("adding users does not make AUTH mandatory: a new connection is default, with every permission", async () => {
    expect(await t.cli(["ACL", "WHOAMI"])).toBe("default");
    expect(await t.cli(["GET", "billing:1"])).toBe("secret-amount");
  });

  test("AUTH as a user switches to it; wrong password: WRONGPASS; the older users shape still works", async () => {
    expect(await t.cli(["ACL", "WHOAMI"], { flags: APP })).toBe("app");
    expect(await t.cli(["AUTH", "app", "nope"])).toBe("WRONGPASS invalid username-password pair or user is disabled.");
    expect(await t.cli(["GET", "billing:1"], { flags: ["--user", "ops", "--pass", "ops-pass", "--no-auth-warning"] })).toBe("secret-amount");
  });
});

describe("a caller that may only call functions (redis-cli)", () => {
  test("WASM.CALL runs; WASM.LOADB, WASM.UPDATE, TRIGGER.CREATE get NOPERM and change nothing", async () => {
    expect(await t.cli(["WASM.CALL", "kv_get", "user:1"], { flags: APP })).toBe("alice");
    expect(await t.cli(["WASM.LOADB", "evil", "x"], { flags: APP })).toBe(noperm("wasm.loadb"));
    expect(await t.cli(["WASM.UPDATE", "kv_get", "CAPABILITIES", "all"], { flags: APP })).toBe(noperm("wasm.update"));
    expect(await t.cli(["TRIGGER.CREATE", "t", "ON", "user:*", "EVENTS", "SET", "ACTION", "CALL", "kv_get"], { flags: APP })).toBe(noperm("trigger.create"));
    expect(await t.cli(["CONFIG", "GET", "requirepass"], { flags: APP })).toBe(noperm("config|get"));
    // logs, the slow log and recorded calls hold user data: @wasm-observe, which a caller lacks
    expect(await t.cli(["WASM.LOGS"], { flags: APP })).toBe(noperm("wasm.logs"));
    expect(await t.cli(["WASM.SLOWLOG", "GET"], { flags: APP })).toBe(noperm("wasm.slowlog|get"));
    expect(await t.cli(["WASM.FAILURES", "LIST"], { flags: APP })).toBe(noperm("wasm.failures|list"));
    expect(await t.cli(["WASM.LIST"])).toBe("kv_get\nkv_set\nkv_copy");
    expect(JSON.parse(await t.cli(["WASM.INFO", "kv_get"])).capabilities).toEqual(["read", "write"]);
    expect(await t.cli(["TRIGGER.LIST"])).toBe("");
  });

  test("keys outside its patterns: NOPERM directly and through a function, and nothing is written", async () => {
    expect(await t.cli(["GET", "user:1"], { flags: APP })).toBe("alice");
    expect(await t.cli(["GET", "billing:1"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await t.cli(["SET", "billing:1", "0"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await t.cli(["WASM.CALL", "kv_get", "billing:1"], { flags: APP })).toBe(
      "NOPERM No permissions to access a key: function 'kv_get' tried to read 'billing:1' (ferrite_get), outside the key patterns of user 'app'",
    );
    expect(await t.cli(["WASM.CALL", "kv_set", "user:1", "mallory", "billing:1", "0"], { flags: APP })).toMatch(/^NOPERM No permissions to access a key: function 'kv_set' tried to write 'billing:1'/);
    expect(await t.cli(["MSET", "user:1", "mallory", "billing:1", "0"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await t.cli(["MGET", "user:1", "billing:1"])).toBe("alice\nsecret-amount");
    // the same calls as default go through
    expect(await t.cli(["WASM.CALL", "kv_get", "billing:1"])).toBe("secret-amount");
  });

  test("a trigger's function runs with the key permissions of the user whose write fired it", async () => {
    // kv_get reads the key named by its input: for a trigger, "SET\n<key>\n<value>".
    expect(await t.cli(["TRIGGER.CREATE", "peek", "ON", "user:*", "EVENTS", "SET", "ACTION", "CALL", "kv_get"])).toBe("OK");
    try {
      expect(await t.cli(["SET", "user:2", "bob"], { flags: APP })).toBe(
        "NOPERM No permissions to access a key: function 'kv_get' tried to read 'SET\\x0auser:2\\x0abob' (ferrite_get), outside the key patterns of user 'app' (write refused by trigger 'peek')",
      );
      expect(await t.cli(["EXISTS", "user:2"])).toBe("0");
      expect(await t.cli(["SET", "user:2", "bob"])).toBe("OK"); // default may read any key
    } finally {
      await t.cli(["TRIGGER.DELETE", "peek"]);
    }
  });

  test("a user with +@wasm +@read +@write deploys; ACL SETUSER changes a connected user at once", async () => {
    const deployer = ["--user", "deployer", "--pass", "deploy", "--no-auth-warning"];
    expect(await t.cli(["WASM.LOAD", "kv_del", "kv.wasm"], { flags: deployer })).toBe("OK");
    expect(await t.cli(["WASM.UNLOAD", "kv_del"], { flags: deployer })).toBe("OK");
    expect(await t.cli(["ACL", "SETUSER", "deployer", "-@wasm-deploy"])).toBe("OK");
    expect(await t.cli(["WASM.LOAD", "kv_tmp", "kv.wasm"], { flags: deployer })).toBe(noperm("wasm.load", "deployer"));
    expect(await t.cli(["WASM.LOAD", "kv_del", "kv.wasm"], { flags: deployer })).toBe(noperm("wasm.load", "deployer"));
    expect(await t.cli(["ACL", "SETUSER", "deployer", "+@wasm-deploy"])).toBe("OK");
  });
});

describe("the same refusals through ioredis, node-redis and the typed client", () => {
  test("ioredis", async () => {
    const r = new Redis({ port: t.port, host: "127.0.0.1", username: "app", password: "secret", lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      expect(await r.call("WASM.CALL", "kv_get", "user:1")).toBe("alice");
      await expect(r.call("WASM.LOADB", "evil", Buffer.from(KV_WASM))).rejects.toThrow(noperm("wasm.loadb"));
      await expect(r.get("billing:1")).rejects.toThrow(NOPERM_KEY);
    } finally {
      r.disconnect();
    }
  });

  test("node-redis", async () => {
    const client = createClient({ url: `redis://app:secret@127.0.0.1:${t.port}`, socket: { reconnectStrategy: false } });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(await client.sendCommand(["WASM.CALL", "kv_get", "user:1"])).toBe("alice");
      await expect(client.sendCommand(["WASM.UPDATE", "kv_get", "TIMEOUT", "5"])).rejects.toThrow(noperm("wasm.update"));
      await expect(client.get("billing:1")).rejects.toThrow(NOPERM_KEY);
    } finally {
      await client.quit();
    }
  });

  test("the typed client: ERR_NOPERM, and which permission is missing", async () => {
    const c = new FerriteClient(`redis://app:secret@127.0.0.1:${t.port}`, { maxRetriesPerRequest: 0 });
    try {
      expect(await c.wasmCall("kv_get", ["user:1"])).toBe("alice");
      const refused = await c.wasmLoadB("evil", KV_WASM).catch((e) => e);
      expect(refused.code).toBe("ERR_NOPERM");
      expect(FerriteClient.missingPermission(refused.reply)).toBe("ACL SETUSER app +wasm.loadb (or the whole category: +@wasm-deploy)");
      const key = await c.wasmCall("kv_get", ["billing:1"]).catch((e) => e);
      expect(key.code).toBe("ERR_NOPERM");
      expect(FerriteClient.missingPermission(key.reply)).toBe("a key pattern covering that key (ACL SETUSER app ~pattern, or %R~pattern to read only)");
    } finally {
      c.disconnect();
    }
  });
});

describe("per-function KEYS", () => {
  test("a function loaded with KEYS user:* cannot read billing:1 nor write it, and the keyspace is unchanged", async () => {
    expect(await t.cli(["WASM.LOAD", "kv_copy", "kv.wasm", "CAPABILITIES", "read", "write", "KEYS", "user:*", "REPLACE"])).toBe("OK");
    expect(JSON.parse(await t.cli(["WASM.INFO", "kv_copy"])).keys).toEqual(["user:*"]);
    const before = await t.cli(["MGET", "user:1", "user:9", "billing:1"]);
    expect(await t.cli(["WASM.CALL", "kv_copy", "billing:1", "user:9"])).toBe(
      "NOCAP function 'kv_copy' may not read key 'billing:1' (ferrite_get): its KEYS are user:*",
    );
    expect(await t.cli(["WASM.UPDATE", "kv_set", "KEYS", "user:*", "session:*"])).toBe("OK");
    expect(await t.cli(["WASM.CALL", "kv_set", "user:9", "x", "billing:1", "0"])).toBe(
      "NOCAP function 'kv_set' may not write key 'billing:1' (ferrite_set): its KEYS are user:* session:*",
    );
    expect(await t.cli(["MGET", "user:1", "user:9", "billing:1"])).toBe(before);
    expect(await t.cli(["WASM.CALL", "kv_copy", "user:1", "user:9"])).toBe("alice");
    expect(await t.cli(["WASM.UPDATE", "kv_copy", "KEYS", "*"])).toBe("OK");
    expect(JSON.parse(await t.cli(["WASM.INFO", "kv_copy"])).keys).toEqual(["*"]);
    expect(await t.cli(["WASM.CALL", "kv_copy", "billing:1", "copy:1"])).toBe("secret-amount");
    await t.cli(["DEL", "user:9", "copy:1"]);
  });

  test("KEYS parses beside the other options: before REPLACE, after CAPABILITIES, and a keyword-named key escaped", async () => {
    expect(await t.cli(["WASM.LOAD", "kv_get", "kv.wasm", "KEYS", "a:*", "b:*", "CAPABILITIES", "read", "TIMEOUT", "500", "REPLACE"])).toBe("OK");
    expect(JSON.parse(await t.cli(["WASM.INFO", "kv_get"]))).toMatchObject({ keys: ["a:*", "b:*"], capabilities: ["read"], timeout_ms: 500 });
    expect(await t.cli(["WASM.UPDATE", "kv_get", "KEYS"])).toMatch(/^ERR syntax error: KEYS needs at least one pattern in WASM.UPDATE/);
    expect(await t.cli(["WASM.UPDATE", "kv_get", "KEYS", "a:*", "KEYS", "b:*"])).toBe("ERR syntax error: KEYS given twice in WASM.UPDATE");
    expect(await t.cli(["WASM.UPDATE", "kv_get", "KEYS", "\\MEMORY", "CAPABILITIES", "read", "write"])).toBe("OK");
    expect(await t.cli(["SET", "MEMORY", "m"])).toBe("OK");
    expect(await t.cli(["WASM.CALL", "kv_get", "MEMORY"])).toBe("m");
    expect(await t.cli(["WASM.UPDATE", "kv_get", "KEYS", "*"])).toBe("OK");
  });

  test("the caller's patterns and the function's both apply", async () => {
    expect(await t.cli(["WASM.UPDATE", "kv_get", "KEYS", "billing:*", "user:*"])).toBe("OK");
    expect(await t.cli(["WASM.CALL", "kv_get", "billing:1"], { flags: APP })).toMatch(/^NOPERM No permissions to access a key: function 'kv_get'/);
    expect(await t.cli(["WASM.CALL", "kv_get", "user:1"], { flags: APP })).toBe("alice");
    expect(await t.cli(["WASM.UPDATE", "kv_get", "KEYS", "*"])).toBe("OK");
  });
});

describe("ACL commands", () => {
  test("SETUSER errors, DELUSER, GETUSER of a missing user, USERS, CAT", async () => {
    expect(await t.cli(["ACL", "SETUSER", "x", "+@bogus"])).toBe("ERR Error in ACL SETUSER modifier '+@bogus': Unknown command or category name in ACL");
    expect(await t.cli(["ACL", "SETUSER", "x", "bogus"])).toBe("ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
    expect(await t.cli(["ACL", "SETUSER", "x", "#abc"])).toMatch(/^ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters/);
    // As Redis: patterns cannot hold spaces (a user's rules always print as one line that reads back).
    for (const rule of ["~a b", "%R~a b", "&a b"]) expect(await t.cli(["ACL", "SETUSER", "x", rule])).toBe(`ERR Error in ACL SETUSER modifier '${rule}': Syntax error`);
    expect(await t.cli(["ACL", "USERS"])).toBe("app\ndefault\ndeployer\nops");
    expect(await t.cli(["ACL", "SETUSER", "tmp", "on", "nopass", "+@all", "~*"])).toBe("OK");
    expect(await t.cli(["ACL", "DELUSER", "tmp", "nobody"])).toBe("1");
    expect(await t.cli(["ACL", "DELUSER", "default"])).toBe("ERR The 'default' user cannot be removed");
    expect(await t.cli(["ACL", "GETUSER", "nobody"])).toBe("");
    expect((await t.cli(["ACL", "CAT"])).split("\n")).toEqual(expect.arrayContaining(["read", "write", "keyspace", "admin", "dangerous", "wasm-deploy", "wasm-call", "wasm-observe"]));
    expect((await t.cli(["ACL", "CAT", "wasm-call"])).split("\n")).toEqual(["wasm.call", "wasm.callread"]);
    expect((await t.cli(["ACL", "CAT", "wasm-observe"])).split("\n").sort()).toEqual(["wasm.dump", "wasm.failures", "wasm.logs", "wasm.slowlog"]);
    expect(await t.cli(["ACL", "CAT", "nope"])).toBe("ERR Unknown category 'nope'");
    expect(await t.cli(["ACL", "WHOAMI"], { flags: APP })).toBe("app");
  });

  test("a deleted user's connections are closed", async () => {
    expect(await t.cli(["ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*"])).toBe("OK");
    const r = new Redis({ port: t.port, host: "127.0.0.1", username: "gone", password: "pw", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await r.connect();
    const closed = new Promise<void>((resolve) => r.once("end", () => resolve()));
    expect(await t.cli(["ACL", "DELUSER", "gone"])).toBe("1");
    await closed;
    r.disconnect();
  });
});

describe.runIf(HAVE_REDIS)("ACL LIST and GETUSER as a real redis-server prints them", () => {
  let redis: RedisProcess;
  let s: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  const RULES: [string, string[]][] = [
    ["app", ["on", ">secret", "~user:*", "+@read"]],
    ["b", ["on", "nopass", "%R~r:*", "%W~w:*", "allkeys", "+@all", "-@dangerous"]],
    ["c", []],
    ["d", [">x", "on", "allcommands", "nocommands", "+ping", "~a", "reset"]],
    ["f", ["on", "nopass", "%R~r:*", "%W~w:*", "~k", "+get", "&ch"]],
    ["g", ["on", ">a", ">b", "<a", "allchannels", "+@all", "-@dangerous"]],
  ];

  test("same rules, same lines", async () => {
    for (const [name, rules] of RULES) {
      expect(await redis.cli(["ACL", "SETUSER", name, ...rules])).toBe("OK");
      expect(await s.cli(["ACL", "SETUSER", name, ...rules])).toBe("OK");
    }
    const theirs = await redis.cli(["ACL", "LIST"]);
    expect(await s.cli(["ACL", "LIST"])).toBe(theirs);
    for (const [name] of RULES) expect(await s.cli(["ACL", "GETUSER", name])).toBe(await redis.cli(["ACL", "GETUSER", name]));
    expect(await s.cli(["ACL", "WHOAMI"])).toBe(await redis.cli(["ACL", "WHOAMI"]));
  });
});

describe.runIf(HAVE_REDIS)("key rules follow the key specs, as redis-server applies them", () => {
  let redis: RedisProcess;
  let s: TestServer;
  // Reads need %R, inserts, updates and deletes %W; a key spec with neither (EXISTS, TYPE) any pattern.
  const RULES = ["on", ">pw", "%R~r:*", "%W~w:*", "~both:*", "+@all"];
  const AS = ["--user", "f", "--pass", "pw", "--no-auth-warning"];
  const CASES: string[][] = [
    ["GET", "r:1"], ["GET", "w:1"], ["SET", "r:1", "x"], ["SET", "w:1", "x"], ["SET", "both:1", "x"],
    ["EXISTS", "r:1", "w:1"], ["TYPE", "w:1"], ["STRLEN", "w:1"], ["APPEND", "w:1", "y"], ["APPEND", "both:1", "y"],
    ["MSET", "w:2", "a", "r:2", "b"], ["MSET", "w:2", "a", "both:2", "b"], ["MGET", "r:1", "both:1"], ["MGET", "r:1", "w:1"],
    ["COPY", "r:1", "w:3"], ["COPY", "w:1", "both:3"], ["RENAME", "both:1", "w:4"], ["RENAME", "both:3", "r:4"],
    ["GETDEL", "w:1"], ["GETDEL", "both:2"], ["DEL", "w:2", "r:1"], ["DEL", "w:2"], ["EXPIRE", "w:4", "100"], ["TTL", "w:4"], ["TTL", "r:9"],
    ["INCRBY", "w:5", "2"], ["GETEX", "both:4", "PERSIST"], ["SETNX", "r:6", "1"], ["SETNX", "w:6", "1"],
  ];

  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  test("the same commands are allowed and refused on both (redis-server 7.0 words its NOPERM differently)", async () => {
    const word = (r: string) => (r.startsWith("NOPERM") ? "NOPERM" : r);
    for (const port of [redis.port, s.port]) {
      expect(await redisCli(port, ["ACL", "SETUSER", "f", ...RULES])).toBe("OK");
      expect(await redisCli(port, ["MSET", "r:1", "1", "w:1", "2", "both:1", "3"])).toBe("OK");
    }
    const theirs: string[] = [];
    const ours: string[] = [];
    for (const c of CASES) {
      theirs.push(`${c.join(" ")} -> ${word(await redisCli(redis.port, c, { flags: AS }))}`);
      ours.push(`${c.join(" ")} -> ${word(await redisCli(s.port, c, { flags: AS }))}`);
    }
    expect(ours).toEqual(theirs);
    expect(ours.filter((l) => l.endsWith("NOPERM")).length).toBeGreaterThan(10);
  });

  test("a refused command inside MULTI aborts the EXEC, as in Redis", async () => {
    const script = ["MULTI", "SET w:7 1", "GET w:7", "EXEC"].map((l) => l.split(" "));
    const run = async (port: number) => {
      const r = new Redis({ port, host: "127.0.0.1", username: "f", password: "pw" });
      try {
        const out: string[] = [];
        for (const args of script) out.push(String(await r.call(args[0], ...args.slice(1)).catch((e: Error) => e.message.split(" ")[0])));
        return out;
      } finally {
        r.disconnect();
      }
    };
    const theirs = await run(redis.port);
    expect(theirs).toEqual(["OK", "QUEUED", "NOPERM", "EXECABORT"]);
    expect(await run(s.port)).toEqual(theirs);
    expect(await redisCli(s.port, ["EXISTS", "w:7"])).toBe("0");
  });
});

describe.runIf(HAVE_REDIS)("commands passed through to a Redis store: key rules and Redis's data-type categories", () => {
  let redis: RedisProcess;
  let s: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    const users = [
      { name: "app", rules: "on >secret ~user:* +@all" },
      { name: "hashes", rules: "on >pw ~* +@hash -hdel +lpush" },
    ];
    s = await startTestServer({ server: { store: redis.url, users } });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  test("the store's own key specs find the keys: HSET, LPUSH, SUNIONSTORE, ZADD", async () => {
    expect(await s.cli(["HSET", "user:h", "f", "v"], { flags: APP })).toBe("1");
    expect(await s.cli(["HSET", "billing:h", "f", "v"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await s.cli(["LPUSH", "billing:l", "x"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await s.cli(["SADD", "user:s", "a"], { flags: APP })).toBe("1");
    expect(await s.cli(["SUNIONSTORE", "billing:s", "user:s"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await s.cli(["SUNIONSTORE", "user:s2", "user:s", "billing:s"], { flags: APP })).toBe(NOPERM_KEY);
    expect(await s.cli(["ZADD", "user:z", "1", "a"], { flags: APP })).toBe("1");
    expect(await redis.cli(["EXISTS", "billing:h", "billing:l", "billing:s"])).toBe("0");
    expect(await redis.cli(["HGET", "user:h", "f"])).toBe("v");
  });

  test("+@hash, -hdel and +lpush in a config user: the store's categories and commands", async () => {
    const AS = ["--user", "hashes", "--pass", "pw", "--no-auth-warning"];
    expect(await s.cli(["HSET", "h", "f", "v"], { flags: AS })).toBe("1");
    expect(await s.cli(["HDEL", "h", "f"], { flags: AS })).toBe(noperm("hdel", "hashes"));
    expect(await s.cli(["LPUSH", "l", "x"], { flags: AS })).toBe("1");
    expect(await s.cli(["RPUSH", "l", "y"], { flags: AS })).toBe(noperm("rpush", "hashes"));
    expect(await s.cli(["SADD", "s", "a"], { flags: AS })).toBe(noperm("sadd", "hashes"));
    const hashCommands = (await s.cli(["ACL", "CAT", "hash"])).split("\n");
    expect(hashCommands).toEqual(expect.arrayContaining(["hset", "hget", "hdel", "hgetall"]));
    expect(hashCommands.sort()).toEqual((await redis.cli(["ACL", "CAT", "hash"])).split("\n").sort());
  });
});
