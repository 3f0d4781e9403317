// The flight recorder: each function's last failed calls (arguments, what each read saw, time,
// random and http answers, the module's hash), read with WASM.FAILURES and replayed exactly.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRuntime, replayFailedCall } from "../../../runtime-sim/index.js";
import { FerriteClient } from "../../../server/client.js";
import { mayReadRecords } from "../../../server/commands/wasm-observe.js";
import { buildFixture } from "../../helpers/asc.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../../helpers/server.js";

const CAPS = ["read", "time", "random", "log"] as const;

let t: TestServer;
let client: FerriteClient;
let share: Uint8Array;
beforeAll(async () => {
  share = (await buildFixture("share")).wasm;
  t = await startTestServer();
  client = new FerriteClient(t.server.url);
  await client.wasmLoadB("share", share, { capabilities: [...CAPS] });
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await t?.close();
});

describe("WASM.FAILURES", () => {
  test("a failed call is kept with what it read and got; a successful one is not", async () => {
    await client.redis.set("count", "0");
    await client.redis.set("good", "8");
    await client.wasmCall("share", ["good"]);
    await expect(client.wasmCall("share", ["count"])).rejects.toThrow("TRAP function 'share' trapped: divide by zero");
    const [summary, ...others] = await client.wasmFailures("share");
    expect(others).toEqual([]);
    const record = (await client.wasmFailure("share"))!;
    expect(summary).toMatchObject({ id: record.id, function: "share", version: 1, code: "ERR_TRAP", error: "TRAP function 'share' trapped: divide by zero" });
    expect(summary.bytes).toBe(Buffer.byteLength(JSON.stringify(record)));
    expect(record).toMatchObject({
      format: "ferrite-wasm/failed-call@1",
      function: "share",
      version: 1,
      sha256: (await client.wasmInfo("share")).sha256,
      entry: "share",
      error: { code: "ERR_TRAP", message: "function 'share' trapped: divide by zero", reply: "TRAP function 'share' trapped: divide by zero" },
      read_only: false,
      capabilities: [...CAPS],
      args: ["count"],
      reads: [{ key: "count", value: "0" }],
    });
    expect(record.answers.now).toHaveLength(1);
    expect(record.answers.random).toHaveLength(1);
    // the call event in WASM.LOGS names the same id
    const events = await client.wasmLogs({ functions: ["share"] });
    expect(events.find((e) => e.id === record.id)).toMatchObject({ type: "call", outcome: "ERR_TRAP", recorded: true });
    expect(await client.wasmFailure("share", record.id)).toEqual(record);
    expect(await client.wasmFailure("share", "1-1")).toBeNull();
  });

  test("the record and WASM.DUMP's bytes replay the failure exactly on another runtime, though the key changed since", async () => {
    await client.redis.set("count", "0");
    await expect(client.wasmCall("share", ["count"])).rejects.toThrow(/divide by zero/);
    await client.redis.set("count", "5");
    const record = (await client.wasmFailure("share"))!;
    const bytes = await client.wasmDump("share", record.version!);
    expect(bytes.equals(Buffer.from(share))).toBe(true);
    const home = createRuntime();
    const info = await home.load("share", bytes, { capabilities: record.capabilities, memory: record.memory_limit_bytes, timeoutMs: record.timeout_ms });
    expect(info.sha256).toBe(record.sha256);
    expect(replayFailedCall(home, record).error!.message).toBe(record.error.message);
  });

  test("flight-recorder-max-len keeps the newest N, and 0 turns recording off", async () => {
    await client.redis.set("zero", "0");
    await t.cli(["CONFIG", "SET", "flight-recorder-max-len", "2"]);
    for (let i = 0; i < 4; i++) await expect(client.wasmCall("share", ["zero", String(i)])).rejects.toThrow(/divide by zero/);
    const kept = await client.wasmFailures("share");
    expect(kept).toHaveLength(2);
    const newest = (await client.wasmFailure("share"))!;
    expect(newest.args).toEqual(["zero", "3"]);
    expect((await client.wasmFailure("share", kept[1].id))!.args).toEqual(["zero", "2"]);

    await t.cli(["CONFIG", "SET", "flight-recorder-max-len", "0"]);
    expect(await client.wasmFailures("share")).toEqual([]); // lowering the limit drops what is over it
    await expect(client.wasmCall("share", ["zero"])).rejects.toThrow(/divide by zero/);
    expect(await client.wasmFailures("share")).toEqual([]);
    const [event] = (await client.wasmLogs({ functions: ["share"], count: 1 }));
    expect(event).toMatchObject({ outcome: "ERR_TRAP", recorded: false });
    await t.cli(["CONFIG", "SET", "flight-recorder-max-len", "10"]);
  });

  test("a record over flight-recorder-max-bytes is not kept, and the event says so", async () => {
    await client.wasmFailures().then(() => t.cli(["WASM.FAILURES", "RESET"]));
    await t.cli(["CONFIG", "SET", "flight-recorder-max-bytes", "2000"]);
    try {
      await client.redis.set("zero", "0");
      await expect(client.wasmCall("share", ["zero"])).rejects.toThrow(/divide by zero/);
      expect(await client.wasmFailures("share")).toHaveLength(1);
      await expect(client.wasmCall("share", ["zero", "x".repeat(5000)])).rejects.toThrow(/divide by zero/);
      expect(await client.wasmFailures("share")).toHaveLength(1);
      const [event] = await client.wasmLogs({ functions: ["share"], count: 1 });
      expect(event).toMatchObject({ outcome: "ERR_TRAP", recorded: false });
      expect(await t.cli(["CONFIG", "GET", "flight-recorder-max-bytes"])).toBe("flight-recorder-max-bytes\n2000");
    } finally {
      await t.cli(["CONFIG", "SET", "flight-recorder-max-bytes", "1mb"]);
    }
  });

  test("records outlive an unload; RESET forgets them", async () => {
    await client.wasmLoadB("gone", share, { capabilities: [...CAPS] });
    await client.redis.set("zero", "0");
    await expect(client.wasmCall("gone", ["zero"])).rejects.toThrow(/divide by zero/);
    await client.wasmUnload("gone");
    const record = (await client.wasmFailure("gone"))!;
    expect(record.sha256).toBe((await client.wasmInfo("share")).sha256);
    await expect(client.wasmDump("gone")).rejects.toThrow("NOFUNC unknown function 'gone'");
    expect(await t.cli(["WASM.FAILURES", "RESET", "gone"])).toBe("1");
    expect(await client.wasmFailure("gone")).toBeNull();
  });

  test("only clients that authenticated, or local ones on a server without a password, may read records", () => {
    expect(mayReadRecords(false, "127.0.0.1:5000")).toBe(true);
    expect(mayReadRecords(false, "::1:5000")).toBe(true);
    expect(mayReadRecords(false, "::ffff:127.0.0.1:5000")).toBe(true);
    expect(mayReadRecords(false, "10.1.2.3:5000")).toBe(false);
    expect(mayReadRecords(false, "::ffff:192.168.1.9:5000")).toBe(false);
    expect(mayReadRecords(true, "10.1.2.3:5000")).toBe(true); // AUTH came first
  });

  test("with a password, an authenticated client reads them and others get NOAUTH", async () => {
    const s = await startTestServer({ server: { requirepass: "s3cret" } });
    try {
      expect(await s.cli(["WASM.FAILURES", "LIST"])).toMatch(/^NOAUTH/);
      expect(await s.cli(["WASM.FAILURES", "LIST"], { flags: ["-a", "s3cret", "--no-auth-warning"] })).toBe("[]");
    } finally {
      await s.close();
    }
  });
});

describe("WASM.DUMP", () => {
  test("the active or a kept version's bytes; SOURCEMAP is nil for a module sent as bytes", async () => {
    await client.wasmLoadB("echo", ECHO_WASM);
    await client.wasmLoadB("echo", share, { replace: true, capabilities: [...CAPS] });
    expect((await client.wasmDump("echo")).equals(Buffer.from(share))).toBe(true);
    expect((await client.wasmDump("echo", 1)).equals(Buffer.from(ECHO_WASM))).toBe(true);
    expect(await client.wasmDumpSourceMap("echo", 2)).toBeNull();
    await expect(client.wasmDump("echo", 9)).rejects.toThrow("ERR function 'echo' has no version 9 (kept: 1, 2)");
    expect(await t.cli(["WASM.DUMP", "echo", "nine"])).toBe("ERR syntax error: unexpected 'nine' in WASM.DUMP; expected a version number or SOURCEMAP");
  });
});
