// The dispatch path's permission check for users that are not unrestricted: the command (or its
// subcommand) against the user's command rules, then every key the request names (from the
// command table's key specs) against the user's key patterns. Redis's NOPERM texts.
import type { CommandSpec } from "../commands/registry.js";
import { keyIndexes } from "../commands/keyspecs.js";
import { ErrorReply } from "../resp.js";
import { isReserved } from "./reserved.js";
import type { AclUser } from "./user.js";

export const NOPERM_KEY = "NOPERM No permissions to access a key";

export function nopermCommand(user: string, command: string): string {
  return `NOPERM User ${user} has no permissions to run the '${command}' command`;
}

/** The refusal for this request, or null when the user may run it. */
export function refusal(user: AclUser, spec: CommandSpec, args: readonly Buffer[]): ErrorReply | null {
  if (spec.flags.includes("noauth")) return null; // AUTH, HELLO, QUIT, RESET: a user can always switch
  let sub: string | undefined;
  if (spec.subcommands !== undefined && args.length > 1) {
    const name = args[1].toString("latin1").toLowerCase();
    if (spec.subcommands.some((s) => s.name === name)) sub = name;
  }
  if (!user.canRun(spec, sub)) return new ErrorReply(nopermCommand(user.name, sub === undefined ? spec.name : `${spec.name}|${sub}`));
  if (!keysAllowed(user, spec, args)) return new ErrorReply(NOPERM_KEY);
  return null;
}

/** Every key the request names, found by the command's key specs (ours, or the store's for a command
 * passed through), against the user's patterns: reads need %R, inserts, updates and deletes %W.
 * The server's own keys in a Redis store (reserved.ts: the functions and the ACL users) are
 * refused even under ~*: a user who may write keys must not rewrite the users or the code. */
function keysAllowed(user: AclUser, spec: CommandSpec, args: readonly Buffer[]): boolean {
  const specs = spec.keySpecs;
  if (specs === undefined) return true;
  for (const ks of specs) {
    const flags = ks.flagsFor?.(args) ?? ks.flags;
    const read = flags.includes("access");
    const write = flags.includes("insert") || flags.includes("update") || flags.includes("delete");
    for (const i of keyIndexes(ks, args)) {
      const key = args[i].toString("latin1");
      if (isReserved(key) || !user.canAccess(key, read, write)) return false;
    }
  }
  return true;
}
