// Issue 9 item 1: a client that asks for more than it reads cannot grow the server without bound.
// The reply path stops running requests of a client whose socket is full (it is not read until it
// drains), and client_output_buffer_limit / client_query_buffer_limit close clients past them.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Redis } from "ioredis";
import { ReplyWriter, ErrorReply, MapReply } from "../../server/resp.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const MB = 1024 * 1024;
const logs: string[] = [];
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({}, { log: (level, message) => logs.push(`${level} ${message}`) });
  t.server.keyspace.set(Buffer.from("big"), Buffer.alloc(MB, 120), {});
});
afterAll(() => t?.close());

/** A client that sends and never reads (its socket is paused: the kernel buffers fill up). */
function neverReading(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.pause();
      resolve(s);
    });
    s.once("error", reject);
  });
}

const getBig = (n: number) => "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(n);

/** CLIENT LIST's line for a connection, parsed. */
async function clientFields(r: Redis, localPort: number): Promise<Record<string, string> | null> {
  const list = (await r.call("CLIENT", "LIST")) as string;
  const line = list.split("\n").find((l) => l.includes(`addr=127.0.0.1:${localPort} `));
  return line ? Object.fromEntries(line.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])) : null;
}

async function until<T>(f: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 2000; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe("a client that pipelines 20,000 GETs of a 1 MB value and never reads", () => {
  test("is no longer read; the server stays small and answers others", async () => {
    const r = new Redis(t.port, "127.0.0.1");
    try {
      await r.ping();
      global.gc?.();
      const before = process.memoryUsage().rss;
      const flood = await neverReading(t.port);
      flood.write(getBig(20_000)); // 20 GB of replies if the server produced them all
      // The server stops reading it once its socket is full: events without "r", replies waiting.
      const fields = await until(async () => {
        const f = await clientFields(r, flood.localPort!);
        return f && !f.events.includes("r") && Number(f.omem) > 0 ? f : null;
      }, "the flooding client to be paused");
      const after = process.memoryUsage().rss;
      console.log(`server RSS before ${(before / MB).toFixed(0)} MB, with the never-reading client ${(after / MB).toFixed(0)} MB (its pending replies: obl=${fields.obl} omem=${fields.omem})`);
      expect(after - before).toBeLessThan(256 * MB);
      expect(Number(fields.omem) + Number(fields.obl)).toBeLessThan(64 * MB);
      expect(await r.ping()).toBe("PONG"); // everyone else is served
      expect((await r.getBuffer("big"))!.length).toBe(MB);
      flood.destroy();
      await until(async () => (await clientFields(r, flood.localPort!)) === null, "the server to drop the client");
    } finally {
      r.disconnect();
    }
  });

  test("a client that does read gets every reply, in order", async () => {
    const r = new Redis(t.port, "127.0.0.1");
    try {
      const p = r.pipeline();
      for (let i = 0; i < 300; i++) p.strlen("big").getBuffer("big");
      const res = (await p.exec())!;
      expect(res.length).toBe(600);
      expect(res.every(([e, v], i) => e === null && (i % 2 === 0 ? v === MB : (v as Buffer).length === MB))).toBe(true);
    } finally {
      r.disconnect();
    }
  });
});

describe("client_output_buffer_limit", () => {
  test("CONFIG GET/SET in Redis's form; the default protects the process", async () => {
    expect(await t.cli(["CONFIG", "GET", "client-output-buffer-limit"])).toBe(`client-output-buffer-limit\nnormal ${256 * MB} ${64 * MB} 60`);
    expect(await t.cli(["CONFIG", "SET", "client-output-buffer-limit", "normal 1gb 100mb 30"])).toBe("OK");
    expect(await t.cli(["CONFIG", "GET", "client-output-buffer-limit"])).toBe(`client-output-buffer-limit\nnormal ${1024 * MB} ${100 * MB} 30`);
    expect(await t.cli(["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 1mb 1"])).toMatch(/^ERR CONFIG SET failed .*class 'pubsub' does not exist here/);
    expect(await t.cli(["CONFIG", "SET", "client-output-buffer-limit", "normal 1xb 0 0"])).toMatch(/^ERR CONFIG SET failed .*invalid client output buffer limit size "1xb"/);
    expect(await t.cli(["CONFIG", "SET", "client-output-buffer-limit", "normal 256mb 64mb 60"])).toBe("OK");
  });

  test("a reply past the hard limit closes the client, logged as Redis logs it; the server goes on", async () => {
    const admin = new Redis(t.port, "127.0.0.1");
    try {
      await admin.config("SET", "client-output-buffer-limit", "normal 512kb 0 0");
      const victim = new Redis(t.port, "127.0.0.1", { maxRetriesPerRequest: 0, retryStrategy: () => null });
      victim.on("error", () => {});
      const closed = new Promise((r) => victim.once("close", r));
      await victim.ping();
      const reply = victim.getBuffer("big").catch((e: Error) => e);
      await closed;
      expect(await reply).toBeInstanceOf(Error); // no reply at all, as Redis
      expect(logs.some((l) => /^warn Client id=\d+ addr=127\.0\.0\.1:\d+ .*cmd=get scheduled to be closed ASAP for overcoming of output buffer limits/.test(l))).toBe(true);
      expect(await admin.info("stats")).toMatch(/client_output_buffer_limit_disconnections:[1-9]/);
      expect(await admin.strlen("big")).toBe(MB); // small replies still pass
    } finally {
      await admin.config("SET", "client-output-buffer-limit", "normal 256mb 64mb 60").catch(() => {});
      admin.disconnect();
    }
  });

  test("over the soft limit for its seconds closes a client that does not read", async () => {
    const admin = new Redis(t.port, "127.0.0.1");
    try {
      await admin.config("SET", "client-output-buffer-limit", "normal 0 1mb 1");
      const before = logs.length;
      const flood = await neverReading(t.port);
      // One 32 MB reply: more than the kernel's socket buffers take, so most of it waits here.
      flood.write(`*33\r\n$4\r\nMGET\r\n${"$3\r\nbig\r\n".repeat(32)}`);
      // A paused socket does not see the close itself; the server's list does.
      await until(async () => logs.slice(before).some((l) => l.includes("scheduled to be closed ASAP for overcoming of output buffer limits")), "the soft limit to close the client");
      await until(async () => (await clientFields(admin, flood.localPort!)) === null, "the client to be gone");
      flood.destroy();
      expect(await admin.ping()).toBe("PONG");
    } finally {
      await admin.config("SET", "client-output-buffer-limit", "normal 256mb 64mb 60");
      admin.disconnect();
    }
  });
});

describe("client_query_buffer_limit", () => {
  test("CONFIG GET/SET; it may not go below proto-max-bulk-len", async () => {
    expect(await t.cli(["CONFIG", "GET", "client-query-buffer-limit"])).toBe(`client-query-buffer-limit\n${128 * MB}`);
    expect(await t.cli(["CONFIG", "SET", "client-query-buffer-limit", "32mb"])).toMatch(/^ERR CONFIG SET failed .*at least proto-max-bulk-len/);
    expect(await t.cli(["CONFIG", "SET", "client-query-buffer-limit", "1gb"])).toBe("OK");
    expect(await t.cli(["CONFIG", "SET", "client-query-buffer-limit", "128mb"])).toBe("OK");
  });
});

describe("ReplyWriter never throws", () => {
  test("a reply past its limit is dropped whole and flagged", () => {
    const w = new ReplyWriter();
    w.limit = 1000;
    expect(w.write("ok", 2)).toBe(true);
    const len = w.length;
    expect(w.write(Array.from({ length: 10 }, () => Buffer.alloc(200)), 2)).toBe(false);
    expect(w.overflowed).toBe(true);
    expect(w.length).toBe(len);
    expect(w.take().toString()).toBe("$2\r\nok\r\n");
  });

  test("a value that is not a reply becomes an internal error line", () => {
    const w = new ReplyWriter();
    expect(w.write([1, undefined as never, new MapReply([["a", new ErrorReply("ERR x")]])], 3)).toBe(true);
    expect(w.take().toString()).toMatch(/^-ERR internal error: a command produced an unknown reply value \(undefined\); please report it\r\n$/);
  });
});
