// Key commands against the embedded store, through redis-cli. Expiry runs on an injected clock.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let now = 1_700_000_000_000;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({}, { runtime: { clock: () => now } });
});
afterAll(() => t?.close());

describe("strings", () => {
  test("GET SET MGET MSET", async () => {
    expect(await t.cli(["SET", "a", "1"])).toBe("OK");
    expect(await t.cli(["GET", "a"])).toBe("1");
    expect(await t.cli(["GET", "missing"])).toBe("");
    expect(await t.cli(["MSET", "b", "2", "c", "3"])).toBe("OK");
    expect(await t.cli(["MGET", "a", "b", "nope", "c"])).toBe("1\n2\n\n3");
    expect(await t.cli(["MSET", "b"])).toBe("ERR wrong number of arguments for 'mset' command");
    expect(await t.cli(["MSET", "b", "2", "c"])).toBe("ERR wrong number of arguments for 'mset' command");
  });

  test("SET NX XX GET and expiry options", async () => {
    expect(await t.cli(["SET", "a", "x", "NX"])).toBe("");
    expect(await t.cli(["SET", "new", "x", "XX"])).toBe("");
    expect(await t.cli(["SET", "a", "2", "XX", "GET"])).toBe("1");
    expect(await t.cli(["SET", "a", "3", "get"])).toBe("2");
    expect(await t.cli(["SET", "a", "3", "EX", "0"])).toBe("ERR invalid expire time in 'set' command");
    expect(await t.cli(["SET", "a", "3", "EX", "10", "PX", "5"])).toBe("ERR syntax error");
    expect(await t.cli(["SET", "a", "3", "NX", "XX"])).toBe("ERR syntax error");
    expect(await t.cli(["SET", "a", "3", "EX", "ten"])).toBe("ERR value is not an integer or out of range");
  });

  test("INCR DECR INCRBY DECRBY", async () => {
    expect(await t.cli(["INCR", "n"])).toBe("1");
    expect(await t.cli(["INCRBY", "n", "41"])).toBe("42");
    expect(await t.cli(["DECR", "n"])).toBe("41");
    expect(await t.cli(["DECRBY", "n", "-9"])).toBe("50");
    expect(await t.cli(["SET", "s", "abc"])).toBe("OK");
    expect(await t.cli(["INCR", "s"])).toBe("ERR value is not an integer or out of range");
    expect(await t.cli(["SET", "big", "9223372036854775807"])).toBe("OK");
    expect(await t.cli(["INCR", "big"])).toBe("ERR increment or decrement would overflow");
  });
});

describe("keys", () => {
  test("DEL EXISTS TYPE DBSIZE", async () => {
    await t.cli(["FLUSHDB"]);
    await t.cli(["MSET", "k1", "a", "k2", "b", "k3", "c"]);
    expect(await t.cli(["EXISTS", "k1", "k2", "nope", "k1"])).toBe("3");
    expect(await t.cli(["TYPE", "k1"])).toBe("string");
    expect(await t.cli(["TYPE", "nope"])).toBe("none");
    expect(await t.cli(["DEL", "k1", "nope"])).toBe("1");
    expect(await t.cli(["DBSIZE"])).toBe("2");
  });

  test("KEYS with glob patterns", async () => {
    await t.cli(["FLUSHDB"]);
    await t.cli(["MSET", "user:1", "a", "user:2", "b", "user:10", "c", "order:1", "d", "h[x]", "e"]);
    expect((await t.cli(["KEYS", "user:*"])).split("\n").sort()).toEqual(["user:1", "user:10", "user:2"]);
    expect((await t.cli(["KEYS", "user:?"])).split("\n").sort()).toEqual(["user:1", "user:2"]);
    expect((await t.cli(["KEYS", "[uo]*:1"])).split("\n").sort()).toEqual(["order:1", "user:1"]);
    expect(await t.cli(["KEYS", "h\\[x\\]"])).toBe("h[x]");
    expect((await t.cli(["KEYS", "*"])).split("\n")).toHaveLength(5);
  });

  test("SCAN visits every key once, with MATCH and COUNT", async () => {
    await t.cli(["FLUSHDB"]);
    const keys = Array.from({ length: 57 }, (_, i) => `s:${i}`);
    await t.cli(["MSET", ...keys.flatMap((k) => [k, "v"]), "other", "v"]);
    const seen: string[] = [];
    let cursor = "0";
    let rounds = 0;
    do {
      const [next, ...page] = (await t.cli(["SCAN", cursor, "MATCH", "s:*", "COUNT", "10"])).split("\n");
      cursor = next;
      seen.push(...page.filter(Boolean));
      rounds++;
    } while (cursor !== "0" && rounds < 100);
    expect(seen.sort()).toEqual(keys.sort());
    expect(await t.cli(["SCAN", "abc"])).toBe("ERR invalid cursor");
    expect(await t.cli(["SCAN", "0", "COUNT", "0"])).toBe("ERR syntax error");
  });

  test("TTL PTTL EXPIRE PEXPIRE PERSIST on the injected clock", async () => {
    await t.cli(["SET", "e", "v", "EX", "100"]);
    expect(await t.cli(["TTL", "e"])).toBe("100");
    now += 40_000;
    expect(await t.cli(["TTL", "e"])).toBe("60");
    expect(await t.cli(["PTTL", "e"])).toBe("60000");
    expect(await t.cli(["EXPIRE", "e", "10", "GT"])).toBe("0");
    expect(await t.cli(["EXPIRE", "e", "10", "LT"])).toBe("1");
    expect(await t.cli(["EXPIRE", "e", "10", "NX"])).toBe("0");
    expect(await t.cli(["PERSIST", "e"])).toBe("1");
    expect(await t.cli(["TTL", "e"])).toBe("-1");
    expect(await t.cli(["PEXPIRE", "e", "1500"])).toBe("1");
    now += 1500;
    expect(await t.cli(["GET", "e"])).toBe("");
    expect(await t.cli(["TTL", "e"])).toBe("-2");
    expect(await t.cli(["EXPIRE", "e", "5"])).toBe("0");
    await t.cli(["SET", "f", "v"]);
    expect(await t.cli(["EXPIRE", "f", "-1"])).toBe("1");
    expect(await t.cli(["EXISTS", "f"])).toBe("0");
    expect(await t.cli(["EXPIRE", "f", "5", "BOGUS"])).toBe("ERR Unsupported option BOGUS");
  });

  test("SET KEEPTTL and INCR keep the expiry; SET clears it", async () => {
    await t.cli(["SET", "c", "1", "EX", "50"]);
    await t.cli(["INCR", "c"]);
    expect(await t.cli(["TTL", "c"])).toBe("50");
    await t.cli(["SET", "c", "9", "KEEPTTL"]);
    expect(await t.cli(["TTL", "c"])).toBe("50");
    await t.cli(["SET", "c", "9"]);
    expect(await t.cli(["TTL", "c"])).toBe("-1");
  });

  test("functions see the key commands' data and write back", async () => {
    await t.cli(["WASM.LOAD", "kv_copy", "kv.wasm", "CAPABILITIES", "read", "write"]);
    await t.cli(["SET", "src", "payload"]);
    expect(await t.cli(["WASM.CALL", "kv_copy", "src", "dst"])).toBe("payload");
    expect(await t.cli(["GET", "dst"])).toBe("payload");
  });
});

describe("connection and admin", () => {
  test("PING ECHO SELECT CLIENT", async () => {
    expect(await t.cli(["PING", "hi"])).toBe("hi");
    expect(await t.cli(["ECHO", "x y"])).toBe("x y");
    expect(await t.cli(["SELECT", "0"])).toBe("OK");
    expect(await t.cli(["SELECT", "16"])).toBe("ERR DB index is out of range");
    expect(await t.cli(["CLIENT", "SETNAME", "bad name"])).toBe("ERR Client names cannot contain spaces, newlines or special characters.");
    expect(await t.cli(["CLIENT", "NOPE"])).toBe("ERR unknown subcommand 'NOPE'. Try CLIENT HELP.");
    expect(await t.cli(["CLIENT", "SETNAME"])).toBe("ERR wrong number of arguments for 'client|setname' command");
    expect(Number(await t.cli(["CLIENT", "ID"]))).toBeGreaterThan(0);
  });

  test("INFO sections", async () => {
    const all = await t.cli(["INFO"]);
    for (const section of ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Wasm", "# Keyspace"]) expect(all).toContain(section);
    expect(all).toMatch(/^db0:keys=\d+,expires=\d+/m);
    const wasm = await t.cli(["INFO", "wasm"]);
    expect(wasm).toMatch(/^# Wasm\r?\nwasm_enabled:1/);
    expect(wasm).not.toContain("# Server");
  });

  test("CONFIG GET / SET", async () => {
    expect(await t.cli(["CONFIG", "GET", "wasm-default-timeout-ms"])).toBe("wasm-default-timeout-ms\n1000");
    const wasm = (await t.cli(["CONFIG", "GET", "wasm-*"])).split("\n");
    expect(wasm.filter((_, i) => i % 2 === 0)).toEqual(expect.arrayContaining(["wasm-enabled", "wasm-plugins-dir", "wasm-capabilities-allowed"]));
    expect(await t.cli(["CONFIG", "SET", "port", "1"])).toBe("ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
    expect(await t.cli(["CONFIG", "SET", "nope", "1"])).toBe("ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
    expect(await t.cli(["CONFIG", "SET", "proto-max-bulk-len", "2mb"])).toBe("OK");
    expect(await t.cli(["CONFIG", "GET", "proto-max-bulk-len"])).toBe("proto-max-bulk-len\n2097152");
    expect(await t.cli(["CONFIG", "SET", "proto-max-bulk-len", "tiny"])).toMatch(/^ERR CONFIG SET failed \(possibly related to argument 'proto-max-bulk-len'\)/);
  });

  test("COMMAND COUNT / INFO / DOCS", async () => {
    const count = Number(await t.cli(["COMMAND", "COUNT"]));
    expect(count).toBeGreaterThan(30);
    expect(await t.cli(["COMMAND", "INFO", "wasm.call"])).toMatch(/^wasm\.call\n-2\n/);
    expect(await t.cli(["COMMAND", "DOCS", "WASM.LOAD"])).toContain("plugins_dir");
  });
});
