// Traps name the AssemblyScript source line when the module's source map is known: the runtime
// replays the failed call on the uninstrumented module and maps the trapping offset.
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../runtime-sim/index.js";
import { buildFixture } from "../helpers/asc.js";

describe("trap positions", () => {
  test("unreachable and divide by zero point at the fixture's line", async () => {
    const trap = await buildFixture("trap");
    const rt = createRuntime();
    await rt.load("trap", trap.wasm, { sourceMap: trap.sourceMap });
    const u = rt.call("trap", ["unreachable"]);
    expect(u.error!.code).toBe("ERR_TRAP");
    expect(u.error!.reply).toMatch(/^TRAP function 'trap' trapped: unreachable at test\/fixtures\/trap\.ts:13:\d+$/);
    const d = rt.call("trap", ["divzero"]);
    expect(d.error!.reply).toMatch(/^TRAP function 'trap' trapped: divide by zero at test\/fixtures\/trap\.ts:11:\d+$/);
    expect(rt.call("trap", ["unreachable"]).error!.reply).toBe(u.error!.reply); // replay does not disturb later calls
  });

  test("an abort inside a library (malformed JSON input, an index out of range) names the caller's own line", async () => {
    const validate = await buildFixture("validate");
    const rt = createRuntime();
    await rt.load("validate", validate.wasm, { sourceMap: validate.sourceMap });
    // json-as aborts at its own line; input.json<Request>(ptr, len) is at line 16 of the fixture.
    expect(rt.call("validate", ["{not json"]).error!.reply).toMatch(/^FUNCERR Incomplete or malformed JSON value at test\/fixtures\/validate\.ts:16:\d+$/);
    const abort = await buildFixture("abort");
    await rt.load("abort", abort.wasm, { sourceMap: abort.sourceMap });
    expect(rt.call("abort", ["index"]).error!.reply).toMatch(/^FUNCERR Index out of range at test\/fixtures\/abort\.ts:\d+:\d+$/);
    // A position already in the user's code is kept as the guest wrote it.
    expect(rt.call("abort", ["throw"]).error!.reply).toBe("FUNCERR something went wrong at test/fixtures/abort.ts:11:5");
  });

  test("without a source map the reason alone is given", async () => {
    const trap = await buildFixture("trap");
    const rt = createRuntime();
    await rt.load("trap", trap.wasm);
    expect(rt.call("trap", ["unreachable"]).error!.reply).toBe("TRAP function 'trap' trapped: unreachable");
  });

  test("a file loaded with WASM.LOAD finds the map beside it", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const trap = await buildFixture("trap");
    const dir = mkdtempSync(path.join(tmpdir(), "ferrite-map-"));
    writeFileSync(path.join(dir, "trap.wasm"), trap.wasm);
    writeFileSync(path.join(dir, "trap.wasm.map"), trap.sourceMap);
    const rt = createRuntime({ pluginsDir: dir });
    await rt.loadFile("trap", "trap.wasm");
    expect(rt.call("trap", ["divzero"]).error!.message).toMatch(/at test\/fixtures\/trap\.ts:11:/);
  });
});
