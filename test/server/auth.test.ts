// AUTH gate: requirepass and named users, through redis-cli, ioredis and node-redis.
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { rawConnect } from "../helpers/resp-socket.js";

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const NOAUTH = "NOAUTH Authentication required.";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    server: {
      requirepass: "s3cret",
      users: [
        { name: "app", password: "app-pass" },
        { name: "old", password: "old-pass", enabled: false },
      ],
    },
  });
});
afterAll(() => t?.close());

describe("redis-cli", () => {
  test("NOAUTH before AUTH, for every command but AUTH, HELLO and QUIT", async () => {
    expect(await t.cli(["PING"])).toBe(NOAUTH);
    expect(await t.cli(["WASM.LIST"])).toBe(NOAUTH);
    expect(await t.cli(["GET", "k"])).toBe(NOAUTH);
  });

  test("-a password and --user/--pass", async () => {
    expect(await t.cli(["PING"], { flags: ["-a", "s3cret", "--no-auth-warning"] })).toBe("PONG");
    expect(await t.cli(["WASM.LIST"], { flags: ["--user", "app", "--pass", "app-pass", "--no-auth-warning"] })).toBe("");
  });

  test("wrong password and disabled user: WRONGPASS", async () => {
    expect(await t.cli(["AUTH", "nope"])).toBe(WRONGPASS);
    expect(await t.cli(["AUTH", "app", "nope"])).toBe(WRONGPASS);
    expect(await t.cli(["AUTH", "ghost", "app-pass"])).toBe(WRONGPASS);
    expect(await t.cli(["AUTH", "old", "old-pass"])).toBe(WRONGPASS);
    expect(await t.cli(["AUTH", "a", "b", "c"])).toBe("ERR wrong number of arguments for 'auth' command");
  });
});

describe("HELLO", () => {
  test("HELLO 3 without AUTH is refused; with AUTH it switches to RESP3", async () => {
    const c = await rawConnect(t.port);
    try {
      c.send("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
      await c.until((s) => s.includes("\r\n"));
      expect(c.received()).toMatch(/^-NOAUTH HELLO must be called with the client already authenticated/);
      c.send("*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$8\r\napp-pass\r\n");
      await c.until((s) => s.includes("modules"));
      expect(c.received()).toContain("%7\r\n$6\r\nserver\r\n$12\r\nferrite-wasm\r\n");
      c.send("*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n");
      await c.until((s) => s.endsWith("_\r\n")); // RESP3 null
    } finally {
      c.close();
    }
  });

  test("HELLO with a bad version or password", async () => {
    expect(await t.cli(["HELLO", "4"], { flags: ["-a", "s3cret", "--no-auth-warning"] })).toBe("NOPROTO unsupported protocol version");
    expect(await t.cli(["HELLO", "3", "AUTH", "app", "bad"])).toBe(WRONGPASS);
  });
});

describe("clients", () => {
  test("ioredis with a password, and a wrong one", async () => {
    const ok = new Redis({ port: t.port, host: "127.0.0.1", password: "s3cret" });
    expect(await ok.ping()).toBe("PONG");
    ok.disconnect();
    const user = new Redis(`redis://app:app-pass@127.0.0.1:${t.port}`);
    expect(await user.call("WASM.LIST")).toEqual([]);
    user.disconnect();
    const bad = new Redis({ port: t.port, host: "127.0.0.1", password: "wrong", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const firstError = new Promise<Error>((resolve) => bad.once("error", resolve));
    bad.connect().catch(() => {});
    expect((await firstError).message).toMatch(/^WRONGPASS/);
    bad.disconnect();
  });

  test("node-redis RESP3 authenticates through HELLO", async () => {
    const c = createClient({ url: `redis://app:app-pass@127.0.0.1:${t.port}`, RESP: 3 });
    c.on("error", () => {});
    await c.connect();
    expect(await c.ping()).toBe("PONG");
    await c.quit();
  });
});

describe("CONFIG SET requirepass", () => {
  test("a new password applies to new connections", async () => {
    const flags = ["-a", "s3cret", "--no-auth-warning"];
    expect(await t.cli(["CONFIG", "SET", "requirepass", "n3w"], { flags })).toBe("OK");
    expect(await t.cli(["PING"], { flags })).toMatch(/^AUTH failed: WRONGPASS|WRONGPASS|NOAUTH/);
    expect(await t.cli(["PING"], { flags: ["-a", "n3w", "--no-auth-warning"] })).toBe("PONG");
    expect(await t.cli(["CONFIG", "SET", "requirepass", "s3cret"], { flags: ["-a", "n3w", "--no-auth-warning"] })).toBe("OK");
  });
});

describe("without a password", () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer();
  });
  afterAll(() => open?.close());

  test("AUTH says no password is configured", async () => {
    expect(await open.cli(["AUTH", "x"])).toBe(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    expect(await open.cli(["PING"])).toBe("PONG");
  });
});
