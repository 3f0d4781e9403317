// [wasm] memory_budget over RESP: what the loaded functions' MEMORY limits may add up to (default
// 4GB); a load past it is refused with an error naming the setting. Driven with redis-cli.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("memory budget", () => {
  let t: TestServer;
  let small: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    small = await startTestServer({ wasm: { memory_budget: "25MB" } });
  });
  afterAll(async () => {
    await t?.close();
    await small?.close();
  });

  test("by default the limits may add up to 4GB", async () => {
    expect(await t.cli(["WASM.LOAD", "echo", "echo.wasm", "MEMORY", "3GB"])).toBe("OK");
    expect(await t.cli(["WASM.LOAD", "counter", "echo.wasm", "MEMORY", "2GB"])).toBe(
      "MEMORY cannot give 'counter' a memory limit of 2GB: the functions' memory limits would add up to 5GB, above [wasm] memory_budget (4GB); lower MEMORY, unload a function, or raise memory_budget",
    );
    expect(await t.cli(["WASM.LOAD", "counter", "echo.wasm", "MEMORY", "1GB"])).toBe("OK");
    expect(await t.cli(["WASM.UPDATE", "counter", "MEMORY", "2GB"])).toMatch(/^MEMORY cannot give 'counter' a memory limit of 2GB: .*memory_budget \(4GB\)/);
    expect(await t.cli(["WASM.CALL", "echo", "still", "serving"])).toBe("still\nserving");
  });

  test("a configured budget counts the default MEMORY too; TIMEOUT past an hour is refused", async () => {
    expect(await small.cli(["WASM.LOAD", "echo", "echo.wasm"])).toBe("OK");
    expect(await small.cli(["WASM.LOAD", "counter", "echo.wasm"])).toBe("OK");
    expect(await small.cli(["WASM.LOAD", "grow", "echo.wasm"])).toMatch(/^MEMORY cannot give 'grow' a memory limit of 10MB: .*above \[wasm\] memory_budget \(25MB\)/);
    expect(await small.cli(["WASM.LOAD", "grow", "echo.wasm", "MEMORY", "5MB"])).toBe("OK");
    expect(await small.cli(["WASM.LOAD", "spin", "echo.wasm", "MEMORY", "1MB", "TIMEOUT", "3600001"])).toBe("ERR invalid timeout '3600001' (milliseconds, at most 3600000: one hour)");
  });
});
