// Capabilities: parsing the names a load asks for, and the one check every host function goes through.
import { errors } from "./errors.js";
import type { Capability } from "./options.js";

export const CAPABILITIES: readonly Capability[] = ["read", "write", "delete", "http", "time", "random", "log"];

const BIT: Record<Capability, number> = { read: 1, write: 2, delete: 4, http: 8, time: 16, random: 32, log: 64 };

/** Parses capability names; "all" grants every allowed capability. Case-insensitive. */
export function parseCapabilities(names: readonly string[], allowed: readonly Capability[] = CAPABILITIES): Capability[] {
  const granted = new Set<Capability>();
  for (const raw of names) {
    const name = raw.toLowerCase();
    if (name === "all") {
      for (const c of allowed) granted.add(c);
      continue;
    }
    if (!(name in BIT)) throw errors.unknownCapability(raw);
    if (!allowed.includes(name as Capability)) throw errors.capabilityNotAllowed(name, allowed);
    granted.add(name as Capability);
  }
  return CAPABILITIES.filter((c) => granted.has(c));
}

/** A bit set of capabilities, so the per-host-call check is one AND. */
export function capabilityMask(caps: readonly Capability[]): number {
  let mask = 0;
  for (const c of caps) mask |= BIT[c];
  return mask;
}

export function hasCapability(mask: number, cap: Capability): boolean {
  return (mask & BIT[cap]) !== 0;
}

/** The check: throws the ABI v1 error when `cap` was not granted. */
export function requireCapability(mask: number, cap: Capability, fn: string, importName: string): void {
  if ((mask & BIT[cap]) === 0) throw errors.lacksCapability(fn, cap, importName);
}
