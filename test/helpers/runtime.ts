// Runtime fixtures for tests: a runtime with a fixed clock and seeded random, and hand-written modules.
import { createRuntime, MemoryStore, type RuntimeOptions } from "../../runtime-sim/index.js";
import { manualClock, seededRandom } from "../../runtime-sim/testing.js";
import { watFile } from "./wat.js";

export const echoWat = watFile(new URL("../fixtures/wat/echo.wat", import.meta.url));
export const hostWat = watFile(new URL("../fixtures/wat/host.wat", import.meta.url));

export function testRuntime(options: RuntimeOptions = {}) {
  const clock = manualClock();
  const store = (options.store as MemoryStore | undefined) ?? new MemoryStore({ clock });
  const rt = createRuntime({ clock, random: seededRandom(7), recordHostCalls: true, ...options, store });
  return { rt, clock, store };
}

export const utf8 = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("utf8"));
export const u32 = (b: Uint8Array | null) => Buffer.from(b!).readUInt32LE(0);
