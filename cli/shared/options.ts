// Parsers for options several commands share (--capabilities, --memory, --timeout).
import { InvalidArgumentError } from "commander";
import { CAPABILITIES } from "../../runtime-sim/capabilities.js";
import { parseMemoryLimit } from "../../runtime-sim/limits/memory.js";
import type { Capability } from "../../runtime-sim/options.js";

const NAMES = [...CAPABILITIES, "all"];

/** "read,write" or "read write" (or "" for none) -> ["read", "write"]. */
export function capabilityList(value: string): (Capability | "all")[] {
  const names = value.split(/[\s,]+/).filter(Boolean).map((n) => n.toLowerCase());
  for (const n of names) {
    if (!NAMES.includes(n)) throw new InvalidArgumentError(`'${n}' is not a capability; use ${NAMES.join(", ")} (comma-separated, or "" for none).`);
  }
  return names as (Capability | "all")[];
}

export function memoryLimit(value: string): string {
  try {
    parseMemoryLimit(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a memory limit; write a size such as 512KB or 10MB.`);
  }
  return value;
}

export function timeoutMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError(`'${value}' is not a timeout; write whole milliseconds above 0, e.g. 1000.`);
  return ms;
}
