// Thousands of random, mutated and truncated frames over several connections (seeded, bounded in
// count). Afterwards the server must still answer, with no uncaught error in the process.
import { afterAll, beforeAll, expect, test } from "vitest";
import { rawConnect, type RawClient } from "../helpers/resp-socket.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../helpers/server.js";

const CONNECTIONS = 6;
const FRAMES_PER_CONNECTION = 1000;
/**
 * A PING that gets no PONG this long after its batch is taken as swallowed by a half-frame the
 * server still waits to complete. Only classifies (a slow PONG counts as a reconnect); asserts nothing.
 */
const STUCK_MS = 250;

// No CONFIG, AUTH-changing or FLUSH commands: the fuzz must not lock itself out.
const NAMES = [
  "PING", "ECHO", "GET", "SET", "MGET", "MSET", "DEL", "EXISTS", "KEYS", "SCAN", "TTL", "EXPIRE", "INCR", "TYPE",
  "WASM.CALL", "WASM.CALLREAD", "WASM.LIST", "WASM.INFO", "WASM.STATS", "WASM.LOADB", "WASM.UPDATE", "WASM.LOAD",
  "HELLO", "CLIENT", "INFO", "COMMAND", "SELECT", "nope", "wasm.call", "QUIT",
];
const FUNCTIONS = ["echo", "counter", "grow", "status7", "spin", "write_then_fail", "missing"];

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = ReturnType<typeof mulberry32>;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const randBytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));

function encode(args: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from("\r\n")])]);
}

function validCommand(r: Rand): Buffer[] {
  const name = pick(r, NAMES);
  const args = [Buffer.from(name)];
  if (/^wasm\.call/i.test(name)) args.push(Buffer.from(pick(r, FUNCTIONS)));
  if (name === "WASM.LOADB") {
    const mod = Buffer.from(ECHO_WASM);
    const flips = Math.floor(r() * 4);
    for (let i = 0; i < flips; i++) mod[Math.floor(r() * mod.length)] = Math.floor(r() * 256);
    args.push(Buffer.from(pick(r, FUNCTIONS)), r() < 0.3 ? mod.subarray(0, Math.floor(r() * mod.length)) : mod, Buffer.from("REPLACE"));
    return args;
  }
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) args.push(r() < 0.5 ? Buffer.from(String(Math.floor(r() * 100))) : randBytes(r, Math.floor(r() * 12)));
  return args;
}

function frame(r: Rand): Buffer {
  const kind = Math.floor(r() * 8);
  const valid = encode(validCommand(r));
  switch (kind) {
    case 0:
    case 1:
      return valid;
    case 2:
      return valid.subarray(0, Math.floor(r() * valid.length)); // truncated
    case 3: {
      const m = Buffer.from(valid);
      m[Math.floor(r() * m.length)] = Math.floor(r() * 256); // one byte mutated
      return m;
    }
    case 4:
      return randBytes(r, 1 + Math.floor(r() * 64));
    case 5:
      return Buffer.from(
        pick(r, [
          `*${Math.floor(r() * 1e12)}\r\n`,
          `*-${Math.floor(r() * 9)}\r\n`,
          `*1\r\n$-1\r\n`,
          `*2\r\n$4\r\nECHO\r\n$${Math.floor(r() * 1e10)}\r\nab`,
          `*1\r\n*1\r\n*1\r\n$1\r\nx\r\n`,
          `*2\r\n:1\r\n+x\r\n`,
          `-ERR\r\n`,
          `$3\r\nfoo\r\n`,
          `*1\r\n$4\r\nPI`,
          "\r\n\r\n",
        ]),
      );
    case 6:
      return Buffer.from(`${pick(r, NAMES)} "a\\x4${pick(r, ["1", "z"])} 'b c\r\n`);
    default:
      return Buffer.concat([valid, randBytes(r, Math.floor(r() * 8))]);
  }
}

let t: TestServer;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
beforeAll(async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  t = await startTestServer({ wasm: { default_timeout_ms: 20, default_memory_limit: "2MB" }, server: { max_bulk_len: "1MB" } });
  await t.cli(["WASM.LOAD", "echo", "echo.wasm"]);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  await t?.close();
});

test("random and truncated frames never take the server down", async () => {
  let sent = 0;
  let reconnects = 0;
  let pongs = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, id) => {
      const r = mulberry32(0xfe771e + id);
      let c: RawClient = await rawConnect(t.port);
      for (let i = 0; i < FRAMES_PER_CONNECTION; ) {
        // A few frames, then a PING: wait for its PONG, the server closing, or a stuck half-frame.
        const batch = 1 + Math.floor(r() * 6);
        for (let k = 0; k < batch; k++, i++, sent++) c.send(frame(r));
        const mark = c.received().length;
        c.send("*1\r\n$4\r\nPING\r\n");
        const outcome = await Promise.race([
          c.until((text) => text.indexOf("+PONG\r\n", mark) >= 0).then(() => "pong" as const),
          c.closed.then(() => "closed" as const),
          new Promise<"stuck">((res) => setTimeout(() => res("stuck"), STUCK_MS)),
        ]);
        if (outcome === "pong") pongs++;
        else {
          c.close();
          c = await rawConnect(t.port);
          reconnects++;
        }
      }      c.close();
    }),
  );
  expect(sent).toBeGreaterThanOrEqual(CONNECTIONS * FRAMES_PER_CONNECTION); // every frame went out: no time budget cut it short
  expect(reconnects).toBeGreaterThan(50); // plenty of frames were bad enough to close a connection
  expect(pongs).toBeGreaterThan(100); // and plenty were survived on the same connection
  expect(await t.cli(["PING"])).toBe("PONG");
  expect(await t.cli(["WASM.CALL", "echo", "alive"])).toBe("alive");
  const stats = await t.cli(["INFO", "stats"]);
  expect(Number(/total_commands_processed:(\d+)/.exec(stats)![1])).toBeGreaterThan(1000);
  expect(stats).toMatch(/protocol_errors:[1-9]/);
  expect(uncaught).toEqual([]);
}, 300_000);
