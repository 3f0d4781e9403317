// Issue 9 item 9: the commands clients send every day, checked byte for byte against a real
// redis-server; key specs for every key-taking command (the same as Redis's); CLIENT INFO/LIST with
// Redis's fields; MONITOR's format; and with store = "redis://...", the store's own commands.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { COMMANDS, commandKeys } from "../../server/commands/index.js";
import { decode } from "../../server/store/link.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { redisCli, startTestServer, type TestServer } from "../helpers/server.js";
import { both, RawSession, sideBySide } from "./parity.js";
import { HAVE_REDIS_PY, redisPy } from "./pyredis.js";

let redis: RedisProcess;
let t: TestServer;
beforeAll(async () => {
  redis = await startRedis();
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const STRINGS: string[][] = [
  ["FLUSHALL"], ["SET", "a", "1"], ["APPEND", "a", "xyz"], ["APPEND", "new", "abc"], ["STRLEN", "a"], ["STRLEN", "missing"],
  ["GETRANGE", "a", "1", "-1"], ["GETRANGE", "a", "-100", "100"], ["GETRANGE", "a", "5", "2"], ["GETRANGE", "a", "x", "2"], ["SUBSTR", "a", "0", "0"],
  ["SETRANGE", "a", "10", "zz"], ["SETRANGE", "a", "-1", "zz"], ["SETRANGE", "m2", "0", ""], ["EXISTS", "m2"], ["GET", "a"],
  ["INCRBYFLOAT", "f", "10.50"], ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "5.0e3"], ["INCRBYFLOAT", "f", "-5210.6"], ["INCRBYFLOAT", "f", "abc"],
  ["INCRBYFLOAT", "a", "1"], ["INCRBYFLOAT", "f", "inf"], ["SET", "g", "0.1"], ["INCRBYFLOAT", "g", "0.2"], ["INCRBY", "g", "1"],
  ["GETEX", "a", "EX", "100"], ["TTL", "a"], ["GETEX", "a", "PERSIST"], ["TTL", "a"], ["GETEX", "a", "EX", "0"], ["GETEX", "a", "EX", "10", "PX", "100"],
  ["GETEX", "a", "FOO"], ["GETEX", "nope", "EX", "10"], ["SETNX", "a", "2"], ["SETNX", "a2", "2"], ["SETEX", "b", "0", "x"], ["SETEX", "b", "x", "x"],
  ["SETEX", "b", "100", "x"], ["TTL", "b"], ["PSETEX", "b", "100000", "x"], ["PSETEX", "b", "-5", "x"], ["GETSET", "gs", "1"], ["GETSET", "gs", "2"],
  ["MSETNX", "m1", "1", "gs", "2"], ["MSETNX", "m1", "1", "m2", "2"], ["MSETNX", "m1", "1", "m3"], ["DECRBY", "gs", "-9223372036854775808"], ["DECR", "gs"],
  ["INCRBY", "gs", "x"], ["GETDEL", "nope"], ["GETDEL", "gs"], ["GETDEL", "gs"],
];

const KEYS: string[][] = [
  ["FLUSHALL"], ["SET", "a", "1"], ["RENAME", "a", "c"], ["RENAME", "nope", "x"], ["RENAME", "c", "c"], ["RENAMENX", "c", "c"], ["SET", "b", "1"],
  ["RENAMENX", "c", "b"], ["RENAMENX", "nope", "b"], ["EXPIRE", "c", "1000"], ["RENAMENX", "c", "e"], ["TTL", "e"], ["COPY", "e", "d"], ["COPY", "e", "d"],
  ["COPY", "e", "d", "REPLACE"], ["TTL", "d"], ["COPY", "e", "e"], ["COPY", "e", "e", "DB", "1"], ["COPY", "e", "e", "DB", "99"], ["COPY", "e", "e", "DB", "x"],
  ["COPY", "e", "e", "FOO"], ["COPY", "nope", "zz"], ["TYPE", "d"], ["TYPE", "nope"], ["EXPIREAT", "d", "9999999999"], ["EXPIRETIME", "d"], ["PEXPIRETIME", "d"],
  ["EXPIRETIME", "nope"], ["EXPIRETIME", "b"], ["PERSIST", "d"], ["PERSIST", "d"], ["EXPIRE", "d", "100", "XX", "GT"], ["EXPIRE", "d", "100", "NX", "GT"],
  ["EXPIRE", "d", "100", "GT", "LT"], ["EXPIRE", "d", "100", "FOO"], ["EXPIRE", "d", "x", "FOO"], ["EXPIRE", "d", "100", "NX"], ["EXPIRE", "d", "200", "GT"],
  ["TTL", "d"], ["EXPIRE", "d", "50", "LT"], ["TTL", "d"], ["PEXPIRE", "d", "9999999999999999999"], ["PEXPIREAT", "d", "1"], ["EXISTS", "d"],
  ["TOUCH", "b", "e", "zz"], ["UNLINK", "b", "e", "zz"], ["RANDOMKEY"], ["SET", "only", "1"], ["RANDOMKEY"], ["DBSIZE"], ["PTTL", "only"], ["PTTL", "nope"],
];

describe.skipIf(!HAVE_REDIS)("byte for byte as redis-server", () => {
  test.each([
    ["string commands", STRINGS],
    ["key commands", KEYS],
    ["RESP3", [["HELLO", "3"], ["SET", "r", "1.5"], ["INCRBYFLOAT", "r", "1"], ["GETDEL", "r"], ["GETDEL", "r"], ["RANDOMKEY"], ["TYPE", "r"], ["EXPIRETIME", "r"]]],
  ] as [string, string[][]][])("%s", async (_name, script) => {
    const [expected, actual] = await both(redis.port, t.port, script);
    const same = (replies: string[]) => sideBySide(script, replies.map((r, i) => (script[i][0] === "HELLO" ? "(hello)" : r)));
    expect(same(actual)).toEqual(same(expected));
  });

  test("redis-cli --bigkeys sees string sizes (STRLEN)", async () => {
    await t.cli(["SET", "bk:big", "x".repeat(1000)]);
    await t.cli(["SET", "bk:small", "x"]);
    expect(await t.cli(["--bigkeys"])).toMatch(/Biggest string found '"bk:big"' has 1000 bytes/);
  });
});

describe.skipIf(!HAVE_REDIS)("key specs: where every key-taking command's keys are", () => {
  test("COMMAND INFO's key specs and first/last/step are Redis's own", async () => {
    const names = [...new Set([...COMMANDS.values()].map((s) => s.name))];
    const a = await RawSession.open(redis.port);
    const b = await RawSession.open(t.port);
    try {
      let compared = 0;
      for (const name of names) {
        const ours = decode(Buffer.from(await b.send(["COMMAND", "INFO", name]), "latin1")) as unknown[][];
        const theirs = decode(Buffer.from(await a.send(["COMMAND", "INFO", name]), "latin1")) as unknown[][];
        if (!theirs[0]) continue; // not a Redis command (WASM.*, TRIGGER.*)
        const pick = (e: unknown[]) => ({ name, arity: e[1], first: e[3], last: e[4], step: e[5], keySpecs: e[8] });
        expect(pick(ours[0])).toEqual(pick(theirs[0]));
        compared++;
      }
      expect(compared).toBeGreaterThan(40);
    } finally {
      a.close();
      b.close();
    }
  });

  test("commandKeys (the one exported key extraction) agrees with Redis's COMMAND GETKEYS", async () => {
    const requests = [
      ["SET", "k", "v", "GET"], ["MSET", "a", "1", "b", "2", "c", "3"], ["MGET", "a", "b"], ["COPY", "s", "d", "DB", "1", "REPLACE"], ["RENAME", "s", "d"],
      ["DEL", "a", "b", "c"], ["GETEX", "k", "PX", "5"], ["MOVE", "k", "1"], ["WATCH", "a", "b"], ["EXPIRE", "k", "1", "NX"], ["SETRANGE", "k", "1", "v"],
    ];
    for (const req of requests) {
      const spec = COMMANDS.get(req[0].toLowerCase())!;
      const ours = commandKeys(spec, req.map((a) => Buffer.from(a))).map(String);
      expect(ours, req.join(" ")).toEqual((await redis.cli(["COMMAND", "GETKEYS", ...req])).split("\n"));
      expect(await t.cli(["COMMAND", "GETKEYS", ...req])).toBe(ours.join("\n"));
    }
    const noKeys = [...new Set(COMMANDS.values())].filter((s) => s.flags.includes("write") && !s.keySpecs && !s.name.startsWith("wasm.") && !s.name.startsWith("trigger."));
    expect(noKeys.map((s) => s.name).sort()).toEqual(["flushall", "flushdb", "swapdb"]); // they take no key arguments, as in Redis
  });
});

describe("CLIENT INFO / CLIENT LIST", () => {
  test.skipIf(!HAVE_REDIS)("Redis's field set, in its order, with this connection's real values", async () => {
    const fieldsOf = (line: string) => line.trim().split(" ").map((kv) => kv.slice(0, kv.indexOf("=")));
    const theirs = fieldsOf(await redis.cli(["CLIENT", "INFO"]));
    const s = await RawSession.open(t.port);
    try {
      await s.send(["CLIENT", "SETNAME", "probe"]);
      await s.send(["SELECT", "3"]);
      await s.send(["WATCH", "w1", "w2"]);
      expect(await s.send(["CLIENT", "INFO"])).toMatch(/ db=3 .* multi=-1 watch=2 .* argv-mem=10 .* cmd=client\|info /);
      await s.send(["MULTI"]);
      await s.send(["GET", "w1"]);
      await s.send(["CLIENT", "INFO"]);
      const exec = await s.send(["EXEC"]);
      const line = /\$\d+\r\n(id=.*)\n\r\n$/.exec(exec)![1];
      const ours = fieldsOf(line);
      expect(ours.filter((f) => theirs.includes(f))).toEqual(theirs); // every Redis 7 field, Redis's order
      const v = Object.fromEntries(line.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      // Inside EXEC, as in Redis: still flagged x with its queue, WATCH already dropped, the command is exec.
      expect(v).toMatchObject({ name: "probe", db: "3", flags: "x", multi: "2", watch: "0", cmd: "exec", resp: "2", user: "default", "argv-mem": "4" });
      expect(Number(v.fd)).toBeGreaterThan(0);
      expect(v.laddr).toBe(`127.0.0.1:${t.port}`);
      const list = await t.cli(["CLIENT", "LIST", "TYPE", "normal"]);
      expect(list).toMatch(/ name=probe .*db=3 /);
      expect(await t.cli(["CLIENT", "LIST", "TYPE", "pubsub"])).toBe("");
      expect(await t.cli(["CLIENT", "LIST", "TYPE", "bogus"])).toBe("ERR Unknown client type 'bogus'");
      expect(await t.cli(["CLIENT", "LIST", "ID", v.id])).toMatch(/^id=\d+ .* name=probe /);
    } finally {
      s.close();
    }
  });

  test.skipIf(!HAVE_REDIS_PY)("redis-py client_info() and client_list()", async () => {
    const out = (await redisPy(t.port, `i = r.client_info()\nl = r.client_list()\nprint(json.dumps([i["qbuf"], i["cmd"], i["db"], len(l) >= 1]))`)) as unknown[];
    expect(out).toEqual([0, "client|info", 0, true]);
  });
});

describe.skipIf(!HAVE_REDIS)("MONITOR", () => {
  test("the same lines as Redis's MONITOR (time and client port aside)", async () => {
    const script = [
      ["SELECT", "3"], ["SET", 'a b', 'x"y\\\n\u0001é'], ["AUTH", "secret"], ["CONFIG", "GET", "port"], ["MULTI"], ["GET", "q"], ["EXEC"],
      ["HELLO", "2", "AUTH", "default", "pw"], ["NOSUCH"], ["GET"], ["PING"],
    ];
    const watch = async (port: number) => {
      const mon = spawn("redis-cli", ["-p", String(port), "MONITOR"]);
      let out = "";
      mon.stdout.on("data", (d) => (out += d));
      await new Promise<void>((r) => mon.stdout.once("data", () => r())); // its OK
      const s = await RawSession.open(port);
      for (const args of script) await s.send(args);
      s.close();
      for (let i = 0; i < 500 && !out.includes('"PING"'); i++) await new Promise((r) => setTimeout(r, 10));
      mon.kill();
      return out
        .split("\n")
        .filter((l) => /^\d+\.\d{6} \[/.test(l))
        .map((l) => l.replace(/^\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]/, "[$1 client]"));
    };
    const [theirs, ours] = [await watch(redis.port), await watch(t.port)];
    expect(ours).toEqual(theirs);
    expect(ours.length).toBeGreaterThan(6);
  });
});

describe.skipIf(!HAVE_REDIS)('store = "redis://...": the store\'s own commands pass through', () => {
  let store: RedisProcess;
  let s: TestServer;
  beforeAll(async () => {
    store = await startRedis();
    s = await startTestServer({ server: { store: store.url } });
  });
  afterAll(async () => {
    await s?.close();
    await store?.stop();
  });

  const TYPES: string[][] = [
    ["FLUSHALL"], ["HSET", "h", "a", "1", "b", "2"], ["HGETALL", "h"], ["HINCRBYFLOAT", "h", "a", "0.5"], ["LPUSH", "l", "x", "y"], ["LRANGE", "l", "0", "-1"],
    ["SADD", "s", "m"], ["SMEMBERS", "s"], ["ZADD", "z", "1.5", "m", "2", "n"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZSCORE", "z", "m"],
    ["XADD", "st", "1-1", "f", "v"], ["XRANGE", "st", "-", "+"], ["PFADD", "hll", "a"], ["GET", "h"], ["TYPE", "z"], ["OBJECT", "ENCODING", "h"],
    ["HSET", "h"], ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b"], ["COMMAND", "GETKEYS", "XREAD", "STREAMS", "s1", "s2", "0", "0"],
    ["EVAL", "return redis.call('HLEN', KEYS[1])", "1", "h"], ["SCAN", "0", "TYPE", "hash"], ["APPEND", "str", "abc"], ["STRLEN", "str"], ["DBSIZE"],
  ];
  test.each([
    ["RESP2", TYPES],
    ["RESP3 (maps, sets, doubles)", [["HELLO", "3"], ...TYPES]],
  ] as [string, string[][]][])("hashes, lists, sets, sorted sets, streams: Redis's replies, %s", async (_name, script) => {
    const [expected, actual] = await both(redis.port, s.port, script);
    const same = (replies: string[]) => sideBySide(script, replies.map((r, i) => (script[i][0] === "HELLO" ? "(hello)" : r)));
    expect(same(actual)).toEqual(same(expected));
  });

  test("commands that would block or subscribe the shared connection are refused with the reason", async () => {
    expect(await s.cli(["BLPOP", "l", "0"])).toMatch(/^ERR 'blpop' is not passed through to the store: it blocks a connection other clients share; run it on the store at redis:\/\/127\.0\.0\.1:\d+ directly$/);
    expect(await s.cli(["XREAD", "BLOCK", "10", "STREAMS", "st", "0"])).toMatch(/^ERR XREAD BLOCK is not passed through/);
    expect(await redisCli(s.port, ["SUBSCRIBE", "x"])).toMatch(/^ERR 'subscribe' is not passed through to the store: it subscribes/);
    expect(await s.cli(["SHUTDOWN"])).toMatch(/^ERR 'shutdown' is not passed through to the store: it administers the store itself/);
    expect(await s.cli(["PING"])).toBe("PONG");
  });
});
