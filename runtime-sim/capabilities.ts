// Capabilities: parsing the names a load asks for, and the one check every host function goes through.
import { errors, FerriteError } from "./errors.js";
import { compileGlob } from "./store/glob.js";
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

// Keys: a function's KEYS patterns (set at load, like its capabilities) and the calling user's key
// permissions (per call, from the server's ACL). Both are checked here, before a key host call runs.

/** Which keys a caller may touch (the server's ACL user, or anything with the same two questions). */
export interface KeyPermissions {
  /** The user's name, for the error text. */
  readonly name: string;
  canRead(key: string): boolean;
  canWrite(key: string): boolean;
  /** Why `key` is refused when the reason is not the user's patterns (the server's own keys). */
  refusal?(key: string): string | null;
}

/** A function's KEYS patterns: Redis globs over keys ("user:*"). */
export class KeyPatterns {
  readonly patterns: readonly string[];
  readonly #matchers: ((key: string) => boolean)[];

  constructor(patterns: readonly string[]) {
    if (patterns.length === 0) throw new FerriteError("ERR_COMMAND", "KEYS needs at least one pattern (a Redis glob such as user:*)");
    this.patterns = [...patterns];
    this.#matchers = patterns.map(compileGlob);
  }

  /** Null for patterns that allow every key, so calls without limits skip the check. */
  static of(patterns: readonly string[] | undefined): KeyPatterns | null {
    return patterns === undefined || patterns.includes("*") ? null : new KeyPatterns(patterns);
  }

  allows(key: string): boolean {
    for (const m of this.#matchers) if (m(key)) return true;
    return false;
  }
}

/** What a key host call does to its key. */
export type KeyAccess = "read" | "write" | "delete";

/**
 * The key check (`key` as latin1 text, what the globs match): throws NOCAP when the function's KEYS do not cover `key`, NOPERM when the calling
 * user may not touch it. The call then fails and its writes are discarded, as for any other error.
 */
export function requireKey(
  fnKeys: KeyPatterns | null,
  caller: KeyPermissions | null,
  key: string,
  access: KeyAccess,
  fn: string,
  importName: string,
): void {
  if (fnKeys !== null && !fnKeys.allows(key)) throw errors.keyOutsidePatterns(fn, key, access, importName, fnKeys.patterns);
  if (caller !== null && !(access === "read" ? caller.canRead(key) : caller.canWrite(key))) {
    throw errors.keyNotPermitted(fn, key, access, importName, caller.name, caller.refusal?.(key) ?? null);
  }
}
