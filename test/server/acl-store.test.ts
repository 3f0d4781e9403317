// ACL users in a Redis store: every server over one store enforces the same users. A change made on
// one server reaches the others by pub/sub; each logs it, and the tests wait for that line (an event,
// not a sleep). Config-file users seed the store; the store wins afterwards. A write the store does
// not take changes nothing. Real redis-server, redis-cli and ioredis.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256hex } from "../../server/acl/user.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const APP = ["--user", "app", "--pass", "secret", "--no-auth-warning"];
const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const NOPERM_KEY = "NOPERM No permissions to access a key";
const noperm = (cmd: string, user = "app") => `NOPERM User ${user} has no permissions to run the '${cmd}' command`;
const ACL_KEY = "{ferrite-wasm}:acl";

/** A server's log lines, and a wait for the next one that matches. */
class LogWatch {
  readonly lines: string[] = [];
  #waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  readonly log = (_level: string, message: string): void => {
    this.lines.push(message);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.re.test(message)) return true;
      w.resolve(message);
      return false;
    });
  };

  /** The next line matching `re` logged from now on (call it before the change is made). */
  next(re: RegExp): Promise<string> {
    return new Promise((resolve) => this.#waiters.push({ re, resolve }));
  }
}

const lines = (s: string) => s.split("\n");

/** Adds user `name` on `from` and waits until the server logging to `other` has it. */
async function seenBy(from: TestServer, other: LogWatch, name: string): Promise<void> {
  const added = other.next(new RegExp(`ACL user '${name}' was added on another server`));
  expect(await from.cli(["ACL", "SETUSER", name])).toBe("OK");
  await added;
}

describe.skipIf(!HAVE_REDIS)("ACL users shared through a Redis store", () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer | undefined;
  const logA = new LogWatch();
  const logB = new LogWatch();
  const logC = new LogWatch();
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestServer({ server: { store: redis.url, users: [{ name: "ops", rules: "on >ops-pass ~* &* +@all" }] } }, { log: logA.log });
    const seeded = logA.next(/ACL user 'viewer' was added on another server/);
    // B's config has another ops (the store's, A's, wins) and a user the store lacks (B seeds it).
    b = await startTestServer(
      {
        server: {
          store: redis.url,
          users: [
            { name: "ops", rules: "on >not-this-one ~* &* +@all" },
            { name: "viewer", rules: "on >view %R~* +@read" },
          ],
        },
      },
      { log: logB.log },
    );
    await seeded;
    await redis.cli(["MSET", "user:1", "alice", "billing:1", "secret-amount"]);
  });
  afterAll(async () => {
    for (const t of [a, b, c]) await t?.close();
    await redis?.stop();
  });

  test("config-file users seed the store where it lacks them; the store's win afterwards; passwords only as SHA-256", async () => {
    expect(await redis.cli(["HGET", ACL_KEY, "ops"])).toBe(`on #${sha256hex("ops-pass")} ~* &* +@all`);
    expect(await redis.cli(["HGET", ACL_KEY, "viewer"])).toBe(`on #${sha256hex("view")} %R~* resetchannels -@all +@read`);
    expect(await redis.cli(["HGET", ACL_KEY, "default"])).toBe("on nopass ~* &* +@all");
    const stored = await redis.cli(["HGETALL", ACL_KEY]);
    for (const plain of ["ops-pass", "not-this-one", ">view"]) expect(stored).not.toContain(plain);
    expect(await b.cli(["AUTH", "ops", "ops-pass"])).toBe("OK");
    expect(await b.cli(["AUTH", "ops", "not-this-one"])).toBe(WRONGPASS);
    expect(await a.cli(["AUTH", "viewer", "view"])).toBe("OK"); // seeded by B, which started after A
    expect(logB.lines.join("\n")).toContain("already has ACL users ops: its rules apply, not this config file's");
  });

  test("ACL SETUSER on one server: the other enforces it (AUTH, NOPERM for a deploy and for a key)", async () => {
    const added = logB.next(/ACL user 'app' was added on another server/);
    expect(await a.cli(["ACL", "SETUSER", "app", "on", ">secret", "~user:*", "+@wasm-call"])).toBe("OK");
    await added;
    expect(await b.cli(["AUTH", "app", "secret"])).toBe("OK");
    expect(await b.cli(["WASM.LOADB", "evil", "x"], { flags: APP })).toBe(noperm("wasm.loadb"));
    expect(await b.cli(["GET", "billing:1"], { flags: APP })).toBe(noperm("get"));
    expect(await redis.cli(["HGET", ACL_KEY, "app"])).toBe(`on #${sha256hex("secret")} ~user:* resetchannels -@all +@wasm-call`);
    // A bad rule is Redis's error, and nothing reaches the store.
    expect(await b.cli(["ACL", "SETUSER", "app", "+get", "+@bogus"])).toBe("ERR Error in ACL SETUSER modifier '+@bogus': Unknown command or category name in ACL");
    expect(await redis.cli(["HGET", ACL_KEY, "app"])).toBe(`on #${sha256hex("secret")} ~user:* resetchannels -@all +@wasm-call`);
  });

  test("a connection of that user on the other server gets the change at once", async () => {
    const r = new Redis({ port: b.port, host: "127.0.0.1", username: "app", password: "secret", lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      await expect(r.get("user:1")).rejects.toThrow(noperm("get"));
      const changed = logB.next(/ACL user 'app' was changed on another server/);
      expect(await a.cli(["ACL", "SETUSER", "app", "+get"])).toBe("OK");
      await changed;
      expect(await r.get("user:1")).toBe("alice");
      await expect(r.get("billing:1")).rejects.toThrow(NOPERM_KEY);
    } finally {
      r.disconnect();
    }
  });

  test("rules given for one user on two servers at the same moment both take effect", async () => {
    const [onA, onB] = await Promise.all([a.cli(["ACL", "SETUSER", "app", "+set"]), b.cli(["ACL", "SETUSER", "app", "%R~order:*"])]);
    expect([onA, onB]).toEqual(["OK", "OK"]);
    const both = `on #${sha256hex("secret")} ~user:* %R~order:* resetchannels -@all +@wasm-call +get +set`;
    expect(await redis.cli(["HGET", ACL_KEY, "app"])).toBe(both);
    // Which of the two was stored first decides which server still has to take the other's: a
    // change made after both on each side, seen by the other, means each has read the store since.
    await seenBy(a, logB, "mark-a");
    await seenBy(b, logA, "mark-b");
    for (const t of [a, b]) expect(lines(await t.cli(["ACL", "LIST"]))).toContain(`user app ${both}`);
    for (const mark of ["mark-a", "mark-b"]) expect(await a.cli(["ACL", "DELUSER", mark])).toBe("1");
  });

  test("ACL DELUSER on one server closes the other's connections of that user, which then refuses AUTH", async () => {
    const r = new Redis({ port: a.port, host: "127.0.0.1", username: "app", password: "secret", lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await r.connect();
    expect(await r.get("user:1")).toBe("alice");
    const closed = new Promise<void>((resolve) => r.once("end", () => resolve()));
    const removed = logA.next(/ACL user 'app' was removed on another server; 1 connection\(s\) of it closed/);
    expect(await b.cli(["ACL", "DELUSER", "app", "nobody"])).toBe("1");
    await removed;
    await closed;
    r.disconnect();
    expect(await a.cli(["AUTH", "app", "secret"])).toBe(WRONGPASS);
    expect(await b.cli(["AUTH", "app", "secret"])).toBe(WRONGPASS);
    expect(await redis.cli(["HEXISTS", ACL_KEY, "app"])).toBe("0");
  });

  test("a server started later has every user before it listens; ACL LIST is the same on every server", async () => {
    const added = logB.next(/ACL user 'mixed' was added on another server/);
    const rules = ["on", ">one", ">two", "%R~r:*", "%W~w:*", "~k", "&ch", "+@all", "-@dangerous", "+config|get", "-set"];
    expect(await a.cli(["ACL", "SETUSER", "mixed", ...rules])).toBe("OK");
    await added;
    c = await startTestServer({ server: { store: redis.url } }, { log: logC.log });
    expect(await c.cli(["AUTH", "mixed", "two"])).toBe("OK");
    expect(await c.cli(["AUTH", "viewer", "view"])).toBe("OK");
    const list = await a.cli(["ACL", "LIST"]);
    expect(lines(list).map((l) => l.split(" ")[1])).toEqual(["default", "mixed", "ops", "viewer"]);
    expect(await b.cli(["ACL", "LIST"])).toBe(list);
    expect(await c.cli(["ACL", "LIST"])).toBe(list);
  });

  test("a user who may write every key still cannot touch the server's keys in the store", async () => {
    expect(await a.cli(["ACL", "SETUSER", "writer", "on", ">w", "~*", "+@all", "-@dangerous"])).toBe("OK");
    const writer = ["--user", "writer", "--pass", "w", "--no-auth-warning"];
    expect(await a.cli(["HSET", ACL_KEY, "writer", "on nopass ~* &* +@all"], { flags: writer })).toBe(NOPERM_KEY);
    expect(await a.cli(["INCR", "{ferrite-wasm}:acl-epoch"], { flags: writer })).toBe(NOPERM_KEY);
    expect(await a.cli(["HGETALL", "{ferrite-wasm}:functions"], { flags: writer })).toBe(NOPERM_KEY);
    expect(await a.cli(["SET", "plain", "1"], { flags: writer })).toBe("OK");
    expect(await redis.cli(["HGET", ACL_KEY, "writer"])).toBe(`on #${sha256hex("w")} ~* resetchannels +@all -@dangerous`);
    // Nor can a function, whoever calls it (the default user has every key).
    expect(await a.cli(["WASM.LOAD", "kv_set", "kv.wasm", "CAPABILITIES", "read", "write"])).toBe("OK");
    const epoch = await redis.cli(["GET", "{ferrite-wasm}:epoch"]);
    for (const flags of [[], writer]) {
      expect(await a.cli(["WASM.CALL", "kv_set", "plain", "2", "{ferrite-wasm}:epoch", "0"], { flags })).toBe(
        "NOPERM No permissions to access a key: function 'kv_set' tried to write '{ferrite-wasm}:epoch' (ferrite_set), the server's own keys ({ferrite-wasm}:*) are not for clients or functions",
      );
    }
    expect(await redis.cli(["GET", "{ferrite-wasm}:epoch"])).toBe(epoch);
    expect(await redis.cli(["GET", "plain"])).toBe("1"); // the failed call wrote nothing
  });

  test("CONFIG SET requirepass is refused: the store's default user is every server's", async () => {
    expect(await a.cli(["CONFIG", "SET", "requirepass", "x"])).toMatch(
      /^ERR CONFIG SET failed \(possibly related to argument 'requirepass'\) - the users live in the store at redis:\/\/127\.0\.0\.1:\d+ for every server; change the default user's password there with ACL SETUSER default resetpass >password \(or nopass\)$/,
    );
    expect(await a.cli(["PING"])).toBe("PONG"); // default is still nopass
  });

  test("FLUSHDB and FLUSHALL through a server keep the users; a store that lost them (FLUSHALL on the store) gets them back", async () => {
    const viewer = `on #${sha256hex("view")} %R~* resetchannels -@all +@read`;
    for (const cmd of ["FLUSHDB", "FLUSHALL"]) {
      expect(await a.cli([cmd])).toBe("OK");
      expect(await redis.cli(["HGET", ACL_KEY, "viewer"])).toBe(viewer);
    }
    const back = Promise.race([logA, logB, logC].map((l) => l.next(/lost the ACL users \(epoch went back\); wrote this server's back: /)));
    expect(await redis.cli(["FLUSHALL"])).toBe("OK");
    await back;
    expect(await redis.cli(["HGET", ACL_KEY, "viewer"])).toBe(viewer);
    expect(await a.cli(["AUTH", "viewer", "view"])).toBe("OK");
    expect(await b.cli(["AUTH", "mixed", "one"])).toBe("OK");
  });
});

describe.skipIf(!HAVE_REDIS)("when the store does not take a change", () => {
  let redis: RedisProcess;
  let s: TestServer;
  const KEEP = "user keep on #" + sha256hex("pw") + " ~keep:* resetchannels -@all +get";
  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer({ server: { store: redis.url, store_timeout_ms: 500, users: [{ name: "keep", rules: "on >pw ~keep:* +get" }] } });
  });
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  test("refused by the store (the users' key is not a hash): SETUSER and DELUSER change nothing, and say why", async () => {
    await redis.cli(["DEL", ACL_KEY]);
    await redis.cli(["SET", ACL_KEY, "not a hash"]);
    expect(await s.cli(["ACL", "SETUSER", "keep", "+set"])).toMatch(
      /^STORE the store at redis:\/\/127\.0\.0\.1:\d+ refused the change \(WRONGTYPE [^)]*\); user 'keep' was not changed: fix what it says \(this server must be able to run scripts on \{ferrite-wasm\}:acl, a hash\), then run the command again$/,
    );
    expect(await s.cli(["ACL", "SETUSER", "new", "on"])).toMatch(/^STORE .* refused the change .*; user 'new' was not changed/);
    expect(await s.cli(["ACL", "DELUSER", "keep"])).toMatch(/^STORE .* refused the change .*; no user was removed/);
    expect(lines(await s.cli(["ACL", "LIST"]))).toEqual(["user default on nopass ~* &* +@all", KEEP]);
  });

  test("a server that cannot read the users does not start, and says where and why", async () => {
    await expect(startTestServer({ server: { store: redis.url } })).rejects.toThrow(
      /^cannot read the ACL users from the store at redis:\/\/127\.0\.0\.1:\d+: WRONGTYPE .*; check that it is running and that \{ferrite-wasm\}:acl there is a hash/,
    );
  });

  test("the store down: SETUSER and DELUSER fail with STORE and change nothing here", async () => {
    await redis.stop();
    expect(await s.cli(["ACL", "SETUSER", "keep", "+set"])).toMatch(
      /^STORE the store at redis:\/\/127\.0\.0\.1:\d+ is unavailable \(.+\); user 'keep' was not changed on this server: check that the store is running, then run the command again$/,
    );
    expect(await s.cli(["ACL", "DELUSER", "keep"])).toMatch(/^STORE the store at .* is unavailable .*; no user was removed on this server/);
    expect(lines(await s.cli(["ACL", "LIST"]))).toEqual(["user default on nopass ~* &* +@all", KEEP]);
    expect(await s.cli(["AUTH", "keep", "pw"])).toBe("OK");
  });
});
