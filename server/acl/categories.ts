// ACL categories: Redis's (the ones that have commands here) and this server's wasm ones. A
// command's categories are data in its spec (`acl`), or derived from its flags and group as Redis
// derives its implicit ones (write -> @write, readonly -> @read, admin -> @admin @dangerous, fast ->
// @fast, otherwise @slow).
import type { CommandSpec } from "../commands/registry.js";

export const CATEGORIES = {
  keyspace: "Writing or reading from keys, databases, or their metadata in a type agnostic way.",
  read: "Reading from keys (values or metadata).",
  write: "Writing to keys (values or metadata).",
  string: "Commands for the string data type.",
  admin: "Administrative commands.",
  dangerous: "Potentially dangerous commands (each should be considered with care for various reasons).",
  connection: "Commands affecting the connection or other connections.",
  fast: "Fast O(1) commands.",
  slow: "All commands that are not fast.",
  transaction: "WATCH / MULTI / EXEC related commands.",
  // Redis's data-type and other categories: commands passed through to a Redis store carry them.
  hash: "Data type: hash related.",
  list: "Data type: list related.",
  set: "Data type: set related.",
  sortedset: "Data type: zset related.",
  stream: "Data type: stream related.",
  bitmap: "Data type: bitmap related.",
  hyperloglog: "Data type: hyperloglog related.",
  geo: "Data type: geo related.",
  pubsub: "PUB/SUB related commands.",
  blocking: "Potentially blocking the connection until released by another command.",
  scripting: "Scripting related.",
  wasm: "Every WASM.* and TRIGGER.* command.",
  "wasm-deploy": "Changing what runs: WASM.LOAD, LOADB, UPDATE, RELOAD, UNLOAD, ROLLBACK and TRIGGER.*.",
  "wasm-call": "Running functions: WASM.CALL, WASM.CALLREAD.",
  "wasm-info": "Reading the function registry: WASM.LIST, INFO, STATS, VERSIONS.",
  "wasm-observe": "Logs, the slow log and recorded calls, which hold user data.",
} as const;

export type AclCategory = keyof typeof CATEGORIES;

export function isCategory(name: string): name is AclCategory {
  return Object.hasOwn(CATEGORIES, name);
}

/** A command's categories: its spec's `acl` plus @fast/@slow, or all derived when it declares none. */
export function commandCategories(spec: Pick<CommandSpec, "acl" | "flags" | "group">): AclCategory[] {
  const out = new Set<AclCategory>(spec.acl ?? derived(spec));
  if (!out.has("fast") && !out.has("slow")) out.add(spec.flags.includes("fast") ? "fast" : "slow");
  return [...out];
}

function derived(spec: Pick<CommandSpec, "flags" | "group">): AclCategory[] {
  const out: AclCategory[] = [];
  if (spec.group === "generic") out.push("keyspace");
  if (spec.group === "string") out.push("string");
  if (spec.group === "connection") out.push("connection");
  if (spec.group === "transactions") out.push("transaction");
  if (spec.flags.includes("write")) out.push("write");
  if (spec.flags.includes("readonly")) out.push("read");
  if (spec.flags.includes("admin")) out.push("admin", "dangerous");
  return out;
}
