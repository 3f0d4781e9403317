// The registry: every command family's specs in one map, by lower- and upper-case name.
import { aclCommand } from "./acl.js";
import type { ServerContext } from "../context.js";
import { keyId } from "../../runtime-sim/host.js";
import { ADMIN_COMMANDS } from "./admin.js";
import { CONNECTION_COMMANDS } from "./connection.js";
import { DB_COMMANDS } from "./db.js";
import { commandSpec } from "./docs.js";
import { KEY_COMMANDS } from "./keys.js";
import { storeSpec } from "./passthrough.js";
import { STRING_COMMANDS } from "./strings.js";
import { TRANSACTION_COMMANDS } from "./transactions.js";
import { TRIGGER_COMMANDS } from "./trigger.js";
import { WASM_CALL_COMMANDS } from "./wasm-call.js";
import { WASM_INFO_COMMANDS } from "./wasm-info.js";
import { WASM_LOAD_COMMANDS } from "./wasm-load.js";
import { WASM_VERSION_COMMANDS } from "./wasm-versions.js";
import { WASM_OBSERVE_COMMANDS } from "./wasm-observe.js";
import type { CommandFlag, CommandSpec } from "./registry.js";

export type { CommandFlag, CommandSpec, Handler, SubcommandSpec } from "./registry.js";
export { commandKeys, type KeySpec } from "./keyspecs.js";

const ALL: CommandSpec[] = [
  ...WASM_LOAD_COMMANDS,
  ...WASM_CALL_COMMANDS,
  ...WASM_INFO_COMMANDS,
  ...WASM_VERSION_COMMANDS,
  ...WASM_OBSERVE_COMMANDS,
  ...TRIGGER_COMMANDS,
  ...STRING_COMMANDS,
  ...KEY_COMMANDS,
  ...DB_COMMANDS,
  ...TRANSACTION_COMMANDS,
  ...CONNECTION_COMMANDS,
  ...ADMIN_COMMANDS,
];

const byName = new Map<string, CommandSpec>();
ALL.push(commandSpec(() => byName), aclCommand(() => byName));
for (const spec of ALL) {
  byName.set(spec.name, spec);
  byName.set(spec.name.toUpperCase(), spec); // most clients send upper case: one lookup, no lowering
}

export const COMMANDS: ReadonlyMap<string, CommandSpec> = byName;

/** Command names that share a trait, as ioredis's Command.FLAGS. */
export const FLAGS: Readonly<Record<CommandFlag, ReadonlySet<string>>> = (() => {
  const flags = {} as Record<CommandFlag, Set<string>>;
  for (const spec of ALL) for (const f of spec.flags) (flags[f] ??= new Set()).add(spec.name);
  return flags;
})();

export function checkFlag(flag: CommandFlag, name: string): boolean {
  return FLAGS[flag]?.has(name) ?? false;
}

/** The spec for a request's first argument, or undefined. */
export function lookupCommand(name: Buffer): CommandSpec | undefined {
  const raw = keyId(name); // latin1, fast for short names
  return byName.get(raw) ?? byName.get(raw.toLowerCase());
}

/** A request's spec: the server's own table first, then (with a Redis store) the commands only the store knows. */
export function resolveCommand(server: ServerContext, name: Buffer): CommandSpec | undefined {
  return lookupCommand(name) ?? (server.store !== null ? storeSpec(server.store, name) : undefined);
}
