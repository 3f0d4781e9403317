// The typed client against a real server: each failure's reply starts with the word for its kind,
// and FerriteClient turns that word back into the code the runtime uses (docs/abi.md, error words).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteError } from "../../runtime-sim/index.js";
import { FerriteClient, FerriteReplyError, type ErrorCode } from "../../server/client.js";
import { HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { ECHO_WASM, startTestServer, type TestServer } from "../helpers/server.js";
import { wat } from "../helpers/wat.js";

const ALLOC = `(memory (export "memory") 1)
  (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))`;
const HOSTILE = wat(`(module
  (import "env" "ferrite_return" (func $ret (param i32 i32)))
  ${ALLOC}
  (func (export "oob") (param i32 i32) (result i32) (call $ret (i32.const 65530) (i32.const 64)) (i32.const 0))
  (func (export "trap") (param i32 i32) (result i32) unreachable)
  (func (export "grow") (param i32 i32) (result i32) (drop (memory.grow (i32.const 1000))) (i32.const 0)))`);
const BIG_INITIAL = wat(`(module (memory (export "memory") 200)
  (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 8))
  (func (export "big") (param i32 i32) (result i32) (i32.const 0)))`);

/** The typed error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<FerriteReplyError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FerriteReplyError);
  expect(e).toBeInstanceOf(FerriteError);
  return e as FerriteReplyError;
}

let t: TestServer;
let f: FerriteClient;
beforeAll(async () => {
  t = await startTestServer({ wasm: { capabilities: { default: ["read", "log"], allowed: ["read", "write", "log"] } } });
  f = new FerriteClient(`redis://127.0.0.1:${t.port}`);
  await f.wasmLoadB("echo", ECHO_WASM, { capabilities: ["read", "write"] });
  await f.wasmLoadB("write_then_fail", ECHO_WASM, { capabilities: ["write"] });
  await f.wasmLoadB("status7", ECHO_WASM);
  await f.wasmLoadB("spin", ECHO_WASM, { timeoutMs: 50 });
  await f.wasmLoad("kv_set", "kv.wasm", { capabilities: ["read"] });
  for (const name of ["oob", "trap", "grow"]) await f.wasmLoadB(name, HOSTILE, { memory: "1MB" });
});
afterAll(async () => {
  await f?.quit();
  await t?.close();
});

describe("FerriteClient turns each error word into its code", () => {
  const cases: [string, () => Promise<unknown>, string, ErrorCode, string][] = [
    ["unknown function", () => f.wasmCall("nope"), "WASM.CALL", "ERR_UNKNOWN_FUNCTION", "NOFUNC unknown function 'nope'"],
    ["unknown function (management)", () => f.wasmInfo("nope"), "WASM.INFO", "ERR_UNKNOWN_FUNCTION", "NOFUNC unknown function 'nope'"],
    ["a name already loaded", () => f.wasmLoadB("echo", ECHO_WASM), "WASM.LOADB", "ERR_EXISTS", "EXISTS function 'echo' already exists; add REPLACE to overwrite it"],
    ["not WebAssembly", () => f.wasmLoadB("junk", new TextEncoder().encode("junk")), "WASM.LOADB", "ERR_INVALID_MODULE", "INVALIDMODULE cannot load 'junk': not a WebAssembly module"],
    ["initial memory above MEMORY", () => f.wasmLoadB("big", BIG_INITIAL), "WASM.LOADB", "ERR_MEMORY_INITIAL", "MEMORY cannot load 'big': its initial memory is 12800KB"],
    ["a capability the server does not allow", () => f.wasmLoadB("h", ECHO_WASM, { capabilities: ["http"] }), "WASM.LOADB", "ERR_CAPABILITY_NOT_ALLOWED", "NOCAP capability 'http' is not allowed on this server (allowed: read write log)"],
    ["an unknown capability (an argument error)", () => f.wasmLoadB("h", ECHO_WASM, { capabilities: ["teleport" as never] }), "WASM.LOADB", "ERR_COMMAND", "ERR unknown capability 'teleport'"],
    ["ferrite_error", () => f.wasmCall("write_then_fail"), "WASM.CALL", "ERR_GUEST", "FUNCERR boom"],
    ["a nonzero status", () => f.wasmCall("status7"), "WASM.CALL", "ERR_GUEST", "FUNCERR function 'status7' returned status 7"],
    ["a write in CALLREAD", () => f.wasmCallRead("write_then_fail"), "WASM.CALLREAD", "ERR_READONLY", "NOWRITE function 'write_then_fail' attempted a write in WASM.CALLREAD"],
    ["a missing capability", () => f.wasmCall("kv_set", ["k", "v"]), "WASM.CALL", "ERR_CAPABILITY", "NOCAP function 'kv_set' lacks capability 'write' (ferrite_set)"],
    ["the timeout", () => f.wasmCall("spin"), "WASM.CALL", "ERR_TIMEOUT", "TIMEOUT function 'spin' timed out after 50 ms"],
    ["a trap", () => f.wasmCall("trap"), "WASM.CALL", "ERR_TRAP", "TRAP function 'trap' trapped: unreachable"],
    ["the memory limit", () => f.wasmCall("grow"), "WASM.CALL", "ERR_MEMORY", "MEMORY function 'grow' exceeded its memory limit of 1MB"],
    ["an out-of-bounds pointer", () => f.wasmCall("oob"), "WASM.CALL", "ERR_ABI", "ABI function 'oob' passed an out-of-bounds pointer to ferrite_return"],
  ];

  test.each(cases)("%s", async (_what, run, command, code, reply) => {
    const e = await failure(run());
    expect(e.code).toBe(code);
    expect(e.reply.startsWith(reply)).toBe(true);
    expect(e.word).toBe(reply.split(" ")[0]);
    expect(e.command).toBe(command);
    expect(e.name).toBe(`FerriteReplyError [${code}]`);
    expect(await t.cli(["PING"])).toBe("PONG");
  });

  test("a failed call changed nothing, and the same reply reaches plain redis-cli", async () => {
    expect(await t.cli(["EXISTS", "k"])).toBe("0");
    expect(await t.cli(["WASM.CALL", "kv_set", "k", "v"])).toBe("NOCAP function 'kv_set' lacks capability 'write' (ferrite_set)");
  });
});

describe("Redis's own words stay Redis's", () => {
  let locked: TestServer;
  beforeAll(async () => {
    locked = await startTestServer({ server: { requirepass: "s3cret" } });
  });
  afterAll(() => locked?.close());

  test("NOAUTH", async () => {
    const anonymous = new FerriteClient(`redis://127.0.0.1:${locked.port}`, { enableReadyCheck: false });
    try {
      const e = await failure(anonymous.wasmList());
      expect(e.code).toBe("ERR_NOAUTH");
      expect(e.word).toBe("NOAUTH"); // Redis's text for whichever command ioredis sent first (HELLO)
    } finally {
      anonymous.disconnect();
    }
  });
});

describe.skipIf(!HAVE_REDIS)("with a Redis store", () => {
  let redis: RedisProcess;
  let s: TestServer;
  let c: FerriteClient;
  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer({ server: { store: redis.url, store_timeout_ms: 1000 } });
    c = new FerriteClient(`redis://127.0.0.1:${s.port}`);
    await c.wasmLoad("kv_get", "kv.wasm");
  });
  afterAll(async () => {
    await c?.quit();
    await s?.close();
    await redis?.stop();
  });

  test("Redis refusing a read is STORE; Redis's own WRONGTYPE passes through unchanged on key commands", async () => {
    await redis.cli(["RPUSH", "list", "a"]);
    const e = await failure(c.wasmCall("kv_get", ["list"]));
    expect(e.code).toBe("ERR_STORE");
    expect(e.reply).toMatch(/^STORE the store at redis:\/\/127\.0\.0\.1:\d+ refused ferrite_get: WRONGTYPE /);
    expect(await s.cli(["GET", "list"])).toBe("WRONGTYPE Operation against a key holding the wrong kind of value");
  });
});
