// The wire: inline commands, pipelining, RESP3, QUIT, and bad frames (each gets a Redis-style error
// and a closed connection, never a dead server).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rawConnect, type RawClient } from "../helpers/resp-socket.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ server: { max_bulk_len: "1MB", client_query_buffer_limit: "2MB" } });
});
afterAll(() => t?.close());

const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

async function withClient<T>(f: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await rawConnect(t.port);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

async function expectClosedWith(bytes: string, error: RegExp | string): Promise<void> {
  await withClient(async (c) => {
    c.send(bytes);
    await c.closed;
    const text = c.received();
    if (typeof error === "string") expect(text).toContain(error);
    else expect(text).toMatch(error);
  });
  expect(await t.cli(["PING"])).toBe("PONG");
}

describe("requests", () => {
  test("inline commands, with quotes, and mixed with RESP in one write", async () => {
    await withClient(async (c) => {
      c.send('PING\r\nECHO "a b\\x41"\r\n' + cmd("ECHO", "resp") + "ECHO 'it''s'\r\n");
      await c.until((s) => s.split("\r\n").length >= 6);
      expect(c.received()).toBe("+PONG\r\n$4\r\na bA\r\n$4\r\nresp\r\n-ERR Protocol error: unbalanced quotes in request\r\n");
    });
  });

  test("an inline line split over two writes", async () => {
    await withClient(async (c) => {
      await c.flush("EC");
      expect(await t.cli(["PING"])).toBe("PONG"); // a round trip on another connection: the server has read "EC" alone
      c.send("HO split\r\n");
      await c.until((s) => s.endsWith("split\r\n"));
    });
  });

  test("a pipeline of 2000 commands answers in order", async () => {
    await withClient(async (c) => {
      let batch = "";
      for (let i = 0; i < 2000; i++) batch += cmd("ECHO", String(i));
      c.send(batch);
      await c.until((s) => s.includes("$4\r\n1999\r\n"));
      const values = c.received().split("\r\n").filter((_, i) => i % 2 === 1);
      expect(values).toEqual(Array.from({ length: 2000 }, (_, i) => String(i)));
    });
  });

  test("a request split byte by byte", async () => {
    await withClient(async (c) => {
      const bytes = cmd("SET", "slow", "v".repeat(100));
      for (const ch of bytes) c.send(ch);
      await c.until((s) => s === "+OK\r\n");
    });
  });

  test("RESP3 after HELLO 3: null, map", async () => {
    await withClient(async (c) => {
      c.send(cmd("HELLO", "3") + cmd("GET", "missing") + cmd("CONFIG", "GET", "databases") + cmd("WASM.CALL", "nope"));
      await c.until((s) => s.includes("-NOFUNC unknown function 'nope'\r\n"));
      const text = c.received();
      expect(text.startsWith("%7\r\n")).toBe(true);
      expect(text).toContain("\r\n_\r\n%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n-NOFUNC unknown function");
    });
  });

  test("QUIT replies OK and closes", async () => {
    await withClient(async (c) => {
      c.send(cmd("QUIT") + cmd("PING"));
      await c.closed;
      expect(c.received()).toBe("+OK\r\n");
    });
  });
});

describe("bad frames close the connection with a protocol error", () => {
  test("a bulk string over max_bulk_len", async () => {
    await expectClosedWith(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\nxxxx`, /^-ERR Protocol error: invalid bulk length \(a request argument may be at most 1048576 bytes/);
  });

  test("many arguments adding up to more than client_query_buffer_limit", async () => {
    const arg = "y".repeat(60 * 1024);
    await withClient(async (c) => {
      c.send(`*100\r\n$4\r\nMSET\r\n`);
      for (let i = 0; i < 40 && !c.socket.destroyed; i++) c.send(`$${arg.length}\r\n${arg}\r\n`);
      await c.closed;
      expect(c.received()).toMatch(/^-ERR Protocol error: a request larger than client_query_buffer_limit \(2097152 bytes\); raise \[server\] client_query_buffer_limit/);
    });
  });

  test("an absurd argument count", async () => {
    await expectClosedWith("*99999999999\r\n$4\r\nPING\r\n", /^-ERR Protocol error/);
    await expectClosedWith("*2000000\r\n$4\r\nPING\r\n", "-ERR Protocol error: invalid multibulk length\r\n");
  });

  test("nested arrays and integers where bulk strings belong", async () => {
    await expectClosedWith("*2\r\n$4\r\nECHO\r\n*1\r\n$1\r\nx\r\n", "-ERR Protocol error: expected '$', got '*'\r\n");
    await expectClosedWith("*2\r\n$4\r\nECHO\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'\r\n");
    await expectClosedWith("*2\r\n$4\r\nECHO\r\n!x\r\n", "-ERR Protocol error: expected '$', got '!'\r\n");
  });

  test("a too long inline line", async () => {
    await expectClosedWith("PING " + "x".repeat(70 * 1024), "-ERR Protocol error: too big inline request\r\n");
  });

  test("replies computed before the bad frame are still sent", async () => {
    await withClient(async (c) => {
      c.send(cmd("ECHO", "first") + "*1\r\n*1\r\n");
      await c.closed;
      expect(c.received()).toBe("$5\r\nfirst\r\n-ERR Protocol error: expected '$', got '*'\r\n");
    });
  });
});

describe("before AUTH", () => {
  let locked: TestServer;
  beforeAll(async () => {
    locked = await startTestServer({ server: { requirepass: "pw" } });
  });
  afterAll(() => locked?.close());

  test("a stranger cannot send big or long requests", async () => {
    const big = await rawConnect(locked.port);
    big.send(`*2\r\n$4\r\nAUTH\r\n$${1024 * 1024}\r\n` + "z".repeat(100 * 1024));
    await big.closed;
    expect(big.received()).toBe("-ERR Protocol error: unauthenticated bulk length\r\n");
    const long = await rawConnect(locked.port);
    long.send("*50\r\n$4\r\nAUTH\r\n");
    await long.closed;
    expect(long.received()).toBe("-ERR Protocol error: unauthenticated multibulk length\r\n");
    expect(await locked.cli(["PING"], { flags: ["-a", "pw", "--no-auth-warning"] })).toBe("PONG");
  });
});
