// WASM.LOGS: every function's ferrite_log lines and one event per call, kept in a ring per function,
// read as a tail, after a cursor, or waiting for new ones (BLOCK), over real clients.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient } from "../../../server/client.js";
import { buildFixture } from "../../helpers/asc.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../../helpers/server.js";
import { wat } from "../../helpers/wat.js";

/** `guard`: lets every write through. */
const GUARD_WASM = wat(`(module (memory (export "memory") 1)
  (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "guard") (param i32 i32) (result i32) (i32.const 0)))`);

let t: TestServer;
let client: FerriteClient;
beforeAll(async () => {
  t = await startTestServer();
  client = new FerriteClient(t.server.url);
  await client.wasmLoadB("share", (await buildFixture("share")).wasm, { capabilities: ["read", "time", "random", "log"] });
  await client.wasmLoadB("echo", ECHO_WASM);
  await client.redis.set("n4", "4");
  await client.redis.set("n0", "0");
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await t?.close();
});

describe("WASM.LOGS", () => {
  test("a call's log lines, then its event with the version, duration and outcome", async () => {
    await client.wasmCall("share", ["n4"]);
    await expect(client.wasmCall("share", ["n0"])).rejects.toThrow(/trapped: divide by zero/);
    const entries = await client.wasmLogs({ functions: ["share"] });
    expect(entries.map((e) => [e.type, e.message ?? e.outcome])).toEqual([
      ["log", "count 4"],
      ["call", "ok"],
      ["log", "count 0"],
      ["call", "ERR_TRAP"],
    ]);
    const [log, ok, , failed] = entries;
    expect(log).toMatchObject({ function: "share", version: 1, level: "info" });
    expect(ok).toMatchObject({ function: "share", version: 1, via: "wasm.call", recorded: false });
    expect(ok.duration_us).toBeGreaterThan(0);
    expect(failed).toMatchObject({ outcome: "ERR_TRAP", error: "TRAP function 'share' trapped: divide by zero", recorded: true });
    // ids are stream ids, increasing
    const ids = entries.map((e) => e.id.split("-").map(Number));
    for (let i = 1; i < ids.length; i++) expect(ids[i][0] - ids[i - 1][0] || ids[i][1] - ids[i - 1][1]).toBeGreaterThan(0);
  });

  test("COUNT takes the newest; SINCE reads on after a cursor; FUNCTIONS filters", async () => {
    await client.wasmCall("echo", ["a"]);
    const tail = await client.wasmLogs({ count: 2 });
    expect(tail).toHaveLength(2);
    expect(tail[1]).toMatchObject({ function: "echo", type: "call", outcome: "ok" });
    const cursor = tail[1].id;
    await client.wasmCall("echo", ["b"]);
    await client.wasmCall("share", ["n4"]);
    const after = await client.wasmLogs({ since: cursor });
    expect(after.map((e) => [e.function, e.type])).toEqual([["echo", "call"], ["share", "log"], ["share", "call"]]);
    expect((await client.wasmLogs({ since: cursor, functions: ["echo"] })).map((e) => e.function)).toEqual(["echo"]);
    expect(await client.wasmLogs({ since: after[2].id })).toEqual([]);
  });

  test("BLOCK waits for the next entry of the functions asked for", async () => {
    const waiter = new FerriteClient(t.server.url);
    try {
      const [last] = await client.wasmLogs({ count: 1 });
      const pending = waiter.wasmLogs({ functions: ["share"], since: last.id, block: 0 });
      await client.wasmCall("echo", ["not this one"]);
      await client.wasmCall("share", ["n4"]);
      const got = await pending;
      expect(got.map((e) => [e.function, e.type, e.message ?? e.outcome])).toEqual([
        ["share", "log", "count 4"],
        ["share", "call", "ok"],
      ]);
    } finally {
      waiter.disconnect();
    }
  });

  test("BLOCK with a cursor answers at once when entries are already there, and [] when the time runs out", async () => {
    const [last] = (await client.wasmLogs({ count: 1 }));
    await client.wasmCall("echo", ["x"]);
    expect((await client.wasmLogs({ since: last.id, block: 0 })).map((e) => e.function)).toEqual(["echo"]);
    expect(await client.wasmLogs({ since: "$", block: 1 })).toEqual([]);
  });

  test("a follower whose cursor fell out of the ring is told what it missed", async () => {
    const [last] = await client.wasmLogs({ count: 1 });
    expect(await t.cli(["CONFIG", "SET", "logs-max-len", "3"])).toBe("OK");
    try {
      for (let i = 0; i < 5; i++) await client.wasmCall("echo", [String(i)]);
      const got = await client.wasmLogs({ since: last.id, functions: ["echo"] });
      expect(got[0]).toMatchObject({ type: "dropped", function: "echo" });
      expect(got[0].message).toMatch(/^entries of 'echo' up to \d+-\d+ were overwritten before this client read them \(the server keeps the last 3 per function: logs_max_len\)$/);
      expect(got.slice(1)).toHaveLength(3);
    } finally {
      await t.cli(["CONFIG", "SET", "logs-max-len", "1000"]);
    }
  });

  test("trigger calls are logged with the trigger that ran them; calls of unknown functions are not", async () => {
    await client.wasmLoadB("guard", GUARD_WASM);
    expect(await t.cli(["TRIGGER.CREATE", "g", "ON", "guarded:*", "EVENTS", "SET", "ACTION", "CALL", "guard"])).toBe("OK");
    await client.redis.set("guarded:1", "v");
    const [event] = await client.wasmLogs({ functions: ["guard"] });
    expect(event).toMatchObject({ type: "call", via: "trigger g", outcome: "ok" });
    await expect(client.wasmCall("nope")).rejects.toThrow(/unknown function/);
    expect(await client.wasmLogs({ functions: ["nope"] })).toEqual([]);
  });

  test("bad arguments say what is expected", async () => {
    expect(await t.cli(["WASM.LOGS", "SINCE", "yesterday"])).toMatch(/^ERR invalid SINCE 'yesterday': give an entry id/);
    expect(await t.cli(["WASM.LOGS", "COUNT", "0"])).toBe("ERR COUNT must be between 1 and 10000");
    expect(await t.cli(["WASM.LOGS", "BLOCK", "-1"])).toBe("ERR timeout is negative");
    expect(await t.cli(["WASM.LOGS", "FUNCTIONS"])).toBe("ERR syntax error: FUNCTIONS needs at least one function name");
    expect(await t.cli(["WASM.LOGS", "LIMIT", "3"])).toMatch(/^ERR syntax error: unexpected 'LIMIT' in WASM.LOGS/);
  });

  test("a client that disconnects while blocked does not hold the server", async () => {
    const waiter = new FerriteClient(t.server.url);
    const pending = waiter.wasmLogs({ functions: ["never-called"], block: 0 }).catch((e: Error) => e);
    waiter.disconnect();
    expect(await pending).toBeInstanceOf(Error);
    expect(await client.redis.ping()).toBe("PONG");
  });
});
