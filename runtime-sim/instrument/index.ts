// The instrumentation: the passes, in the order the one walk runs them. Features refuses first;
// the global snapshot pass runs last, after the others have added what __ferrite_restore resets.
import { fuelPass } from "../limits/deadline.js";
import { memoryPass } from "../limits/memory.js";
import { dirtyRangePass, globalSnapshotPass } from "../isolation.js";
import type { BinaryenApi, Module } from "./binaryen.js";
import { featuresPass } from "./features.js";
import { walk, type InstrumentReport } from "./walk.js";

export type { InstrumentReport } from "./walk.js";
export { loadBinaryen, discardBinaryen } from "./binaryen.js";

export function instrument(api: BinaryenApi, mod: Module, memory: string, bytes: Uint8Array): InstrumentReport {
  return walk(api, mod, memory, bytes, [featuresPass, dirtyRangePass, memoryPass, fuelPass(), globalSnapshotPass]);
}
