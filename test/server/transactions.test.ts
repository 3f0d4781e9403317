// Issue 9 item 7: MULTI EXEC DISCARD WATCH UNWATCH with Redis's semantics and errors, checked byte
// for byte against a real redis-server, and through redis-py's pipeline(), ioredis's .multi() and
// node-redis's .multi(); then the same over store = "redis://...", where WATCH must see writes made
// by the store's other clients.
import { Redis } from "ioredis";
import { createClient, WatchError } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { KV_WASM, ECHO_WASM, startTestServer, type TestServer } from "../helpers/server.js";
import { both, RawSession, sideBySide } from "./parity.js";
import { HAVE_REDIS_PY, redisPy } from "./pyredis.js";

let redis: RedisProcess;
let t: TestServer;
beforeAll(async () => {
  redis = await startRedis();
  t = await startTestServer();
  await t.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read", "write"]);
  await t.cli(["WASM.LOAD", "kv_set_fail", "kv.wasm", "CAPABILITIES", "write"]);
  await t.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const SCRIPTS: Record<string, string[][]> = {
  "errors: nested MULTI, WATCH inside MULTI, EXEC/DISCARD without MULTI": [
    ["MULTI"], ["MULTI"], ["WATCH", "a"], ["SET", "a", "1"], ["EXEC"], ["EXEC"], ["DISCARD"], ["GET", "a"],
  ],
  "a queuing error (unknown command, wrong arity) aborts EXEC with EXECABORT": [
    ["SET", "k", "before"], ["MULTI"], ["SET", "k", "after"], ["NOSUCH", "x"], ["EXEC"], ["GET", "k"],
    ["MULTI"], ["SET", "k", "after"], ["GET"], ["EXEC"], ["GET", "k"],
  ],
  "commands run in order; one failing does not undo the others": [
    ["SET", "s", "text"], ["MULTI"], ["SET", "n", "1"], ["INCR", "n"], ["INCR", "s"], ["APPEND", "n", "0"], ["GET", "n"], ["EXEC"], ["GET", "n"],
  ],
  "DISCARD drops the queue and the WATCH": [
    ["WATCH", "w"], ["SET", "w", "1"], ["MULTI"], ["SET", "w", "2"], ["DISCARD"], ["MULTI"], ["GET", "w"], ["EXEC"],
  ],
  "WATCH: the client's own write before MULTI aborts EXEC (null array); UNWATCH forgets": [
    ["WATCH", "x"], ["SET", "x", "1"], ["MULTI"], ["GET", "x"], ["EXEC"], ["WATCH", "x"], ["UNWATCH"], ["SET", "x", "2"], ["MULTI"], ["GET", "x"], ["EXEC"],
    ["WATCH", "x", "y"], ["MULTI"], ["SET", "x", "3"], ["EXEC"], ["WATCH", "nokey"], ["DEL", "nokey"], ["MULTI"], ["PING"], ["EXEC"],
  ],
  "RESP3: the aborted EXEC is _ and an empty transaction is an empty array": [
    ["HELLO", "3"], ["MULTI"], ["EXEC"], ["WATCH", "r3"], ["SET", "r3", "1"], ["MULTI"], ["GET", "r3"], ["EXEC"], ["MULTI"], ["GET", "r3"], ["EXEC"],
  ],
  "SELECT inside MULTI, FLUSHDB of a watched key": [
    ["MULTI"], ["SELECT", "3"], ["SET", "in3", "x"], ["DBSIZE"], ["EXEC"], ["DBSIZE"], ["SELECT", "0"], ["SET", "f", "1"], ["WATCH", "f"], ["FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"],
  ],
};

describe.skipIf(!HAVE_REDIS)("byte for byte as redis-server", () => {
  test.each(Object.entries(SCRIPTS))("%s", async (_name, script) => {
    await t.cli(["FLUSHALL"]);
    await redis.cli(["FLUSHALL"]);
    const [expected, actual] = await both(redis.port, t.port, script);
    // HELLO names the server; everything else must be the same bytes.
    const same = (replies: string[]) => sideBySide(script, replies.map((r, i) => (script[i][0] === "HELLO" ? r.replace(/server\r\n.*?\r\nproto/s, "...proto").replace(/id\r\n:\d+/, "id\r\n:N") : r)));
    expect(same(actual)).toEqual(same(expected));
  });
});

describe("WATCH sees every writer", () => {
  test("another client's write, a function's write, an expiry", async () => {
    const a = await RawSession.open(t.port);
    const b = await RawSession.open(t.port);
    try {
      await a.send(["SET", "acct", "10"]);
      await a.send(["WATCH", "acct"]);
      expect(await b.send(["SET", "acct", "20"])).toBe("+OK\r\n");
      await a.send(["MULTI"]);
      expect(await a.send(["SET", "acct", "11"])).toBe("+QUEUED\r\n");
      expect(await a.send(["EXEC"])).toBe("*-1\r\n");
      expect(await a.send(["GET", "acct"])).toBe("$2\r\n20\r\n");

      await a.send(["WATCH", "acct"]);
      expect(await b.send(["WASM.CALL", "kv_set", "acct", "30"])).toBe("$2\r\nOK\r\n");
      await a.send(["MULTI"]);
      await a.send(["SET", "acct", "11"]);
      expect(await a.send(["EXEC"])).toBe("*-1\r\n");

      await a.send(["SET", "short", "1", "PX", "30"]);
      await a.send(["WATCH", "short"]);
      for (let i = 0; i < 400 && (await b.send(["EXISTS", "short"])) !== ":0\r\n"; i++) await new Promise((r) => setTimeout(r, 10));
      await a.send(["MULTI"]);
      await a.send(["PING"]);
      expect(await a.send(["EXEC"])).toBe("*-1\r\n"); // expired since WATCH: changed, as in Redis 7

      await a.send(["WATCH", "acct"]);
      await b.send(["GET", "acct"]); // reads change nothing
      await a.send(["MULTI"]);
      await a.send(["INCR", "acct"]);
      expect(await a.send(["EXEC"])).toBe("*1\r\n:31\r\n");
    } finally {
      a.close();
      b.close();
    }
  });

  test("a watched key in another database is a different key", async () => {
    const a = await RawSession.open(t.port);
    const b = await RawSession.open(t.port);
    try {
      await a.send(["WATCH", "dbk"]);
      await b.send(["SELECT", "5"]);
      await b.send(["SET", "dbk", "x"]);
      await a.send(["MULTI"]);
      await a.send(["GET", "dbk"]);
      expect(await a.send(["EXEC"])).toBe("*1\r\n$-1\r\n");
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("WASM.CALL inside EXEC", () => {
  test("a failing call writes nothing, the other commands still run", async () => {
    await t.cli(["DEL", "ta", "tb", "tx", "ty"]);
    const s = await RawSession.open(t.port);
    try {
      await s.send(["MULTI"]);
      await s.send(["SET", "ta", "1"]);
      await s.send(["WASM.CALL", "kv_set_fail", "tx", "1", "ty", "2"]);
      await s.send(["WASM.CALL", "kv_set", "tb", "2"]);
      await s.send(["WASM.CALL", "kv_get", "tb"]);
      expect(await s.send(["EXEC"])).toBe("*4\r\n+OK\r\n-FUNCERR boom\r\n$2\r\nOK\r\n$1\r\n2\r\n");
      expect(await s.send(["MGET", "ta", "tb", "tx", "ty"])).toBe("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$-1\r\n");
    } finally {
      s.close();
    }
  });

  test("nothing runs in between, even across a command that waits (a load)", async () => {
    await t.cli(["SET", "ctr", "0"]);
    const s = await RawSession.open(t.port);
    const other = new Redis(t.port, "127.0.0.1");
    let stop = false;
    const hammer = (async () => {
      let n = 0;
      while (!stop) {
        await other.incr("ctr");
        n++;
      }
      return n;
    })();
    try {
      await other.incr("ctr"); // the hammer is running
      await s.send(["MULTI"]);
      await s.send(["GET", "ctr"]);
      await s.send(["WASM.LOADB", "echo", Buffer.from(ECHO_WASM), "REPLACE"]);
      await s.send(["WASM.LOADB", "kv_get", Buffer.from(KV_WASM), "REPLACE"]);
      await s.send(["GET", "ctr"]);
      const reply = await s.send(["EXEC"]);
      const m = /^\*4\r\n\$\d+\r\n(\d+)\r\n\+OK\r\n\+OK\r\n\$\d+\r\n(\d+)\r\n$/.exec(reply);
      expect(m, reply).not.toBeNull();
      expect(m![2]).toBe(m![1]);
    } finally {
      stop = true;
      expect(await hammer).toBeGreaterThan(0);
      other.disconnect();
      s.close();
    }
  });
});

describe("real clients", () => {
  test.skipIf(!HAVE_REDIS_PY)("redis-py: pipeline() is a transaction; WATCH through transaction()", async () => {
    const out = await redisPy(
      t.port,
      `r.delete("py:n", "py:s")
p = r.pipeline()
p.set("py:n", 1).incr("py:n").incrby("py:n", 5).get("py:n")
res = p.execute()
def bump(pipe):
    v = int(pipe.get("py:n"))
    pipe.multi()
    pipe.set("py:n", v * 10)
watched = r.transaction(bump, "py:n")
p = r.pipeline()
p.watch("py:s")
r.set("py:s", "changed by someone")
p.multi()
p.set("py:s", "mine")
try:
    p.execute()
    aborted = False
except redis.WatchError:
    aborted = True
print(json.dumps({"res": [x.decode() if isinstance(x, bytes) else x for x in res], "watched": [w.decode() if isinstance(w, bytes) else w for w in watched], "n": r.get("py:n").decode(), "aborted": aborted, "s": r.get("py:s").decode()}))`,
    );
    expect(out).toEqual({ res: [true, 2, 7, "7"], watched: [true], n: "70", aborted: true, s: "changed by someone" });
  });

  test("ioredis .multi() and .watch()", async () => {
    const r = new Redis(t.port, "127.0.0.1");
    const other = new Redis(t.port, "127.0.0.1");
    try {
      expect(await r.multi().set("io:a", "1").incr("io:a").call("WASM.CALL", "kv_get", "io:a").exec()).toEqual([
        [null, "OK"],
        [null, 2],
        [null, "2"],
      ]);
      await r.watch("io:a");
      await other.set("io:a", "x");
      expect(await r.multi().set("io:a", "mine").exec()).toBeNull();
      await expect(r.multi().set("io:a", "1").call("NOSUCH").exec()).rejects.toThrow(/EXECABORT Transaction discarded because of previous errors/);
    } finally {
      r.disconnect();
      other.disconnect();
    }
  });

  test("node-redis .multi() and WATCH (WatchError)", async () => {
    const c = createClient({ url: `redis://127.0.0.1:${t.port}` });
    c.on("error", () => {});
    await c.connect();
    try {
      expect(await c.multi().set("nr:a", "1").incr("nr:a").get("nr:a").exec()).toEqual(["OK", 2, "2"]);
      const iso = await c.duplicate().connect();
      try {
        await iso.watch("nr:a");
        await c.set("nr:a", "other");
        await expect(iso.multi().set("nr:a", "mine").exec()).rejects.toBeInstanceOf(WatchError);
      } finally {
        await iso.quit();
      }
      expect(await c.get("nr:a")).toBe("other");
    } finally {
      await c.quit();
    }
  });
});

describe.skipIf(!HAVE_REDIS)('store = "redis://...": WATCH sees the store\'s other clients', () => {
  let store: RedisProcess;
  let s: TestServer;
  beforeAll(async () => {
    store = await startRedis();
    s = await startTestServer({ server: { store: store.url } });
    await s.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read", "write"]);
    await s.cli(["WASM.LOAD", "kv_get", "kv.wasm"]);
  });
  afterAll(async () => {
    await s?.close();
    await store?.stop();
  });

  test("a transaction of store commands runs on the store as one MULTI/EXEC, with Redis's replies", async () => {
    await store.cli(["FLUSHALL"]);
    await redis.cli(["FLUSHALL"]);
    const script = [["MULTI"], ["SET", "k", "1"], ["HSET", "h", "f", "v"], ["INCR", "k"], ["LPUSH", "k", "x"], ["HGETALL", "h"], ["EXEC"], ["MULTI"], ["SET", "k"], ["EXEC"], ["WATCH", "k"], ["SET", "k", "2"], ["MULTI"], ["GET", "k"], ["EXEC"]];
    const [expected, actual] = await both(redis.port, s.port, script);
    expect(sideBySide(script, actual)).toEqual(sideBySide(script, expected));
  });

  test("a write by a client of the store itself (not of this server) aborts EXEC", async () => {
    const a = await RawSession.open(s.port);
    try {
      await a.send(["SET", "bal", "10"]);
      expect(await a.send(["WATCH", "bal"])).toBe("+OK\r\n");
      await store.cli(["SET", "bal", "99"]); // redis-cli straight to the store
      await a.send(["MULTI"]);
      await a.send(["INCR", "bal"]);
      expect(await a.send(["EXEC"])).toBe("*-1\r\n");
      expect(await store.cli(["GET", "bal"])).toBe("99");
      // With a WASM.CALL in it the transaction runs here after a WATCH check on the store.
      await a.send(["WATCH", "bal"]);
      await store.cli(["SET", "bal", "100"]);
      await a.send(["MULTI"]);
      await a.send(["WASM.CALL", "kv_set", "bal", "0"]);
      expect(await a.send(["EXEC"])).toBe("*-1\r\n");
      expect(await store.cli(["GET", "bal"])).toBe("100");
      await a.send(["WATCH", "bal"]);
      await a.send(["MULTI"]);
      await a.send(["WASM.CALL", "kv_set", "bal", "0"]);
      await a.send(["GET", "bal"]);
      expect(await a.send(["EXEC"])).toBe("*2\r\n$2\r\nOK\r\n$1\r\n0\r\n");
    } finally {
      a.close();
    }
  });

  test("ioredis .multi() against the Redis store", async () => {
    const r = new Redis(s.port, "127.0.0.1");
    try {
      expect(await r.multi().set("io:s", "1").hset("io:h", "a", "1").hgetall("io:h").exec()).toEqual([
        [null, "OK"],
        [null, 1],
        [null, { a: "1" }],
      ]);
    } finally {
      r.disconnect();
    }
  });
});
