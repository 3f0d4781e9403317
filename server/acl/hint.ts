// What a NOPERM reply asks for, in words a deployer can act on (the typed client and the CLI).
// Kept apart from the server's ACL code so the client loads none of it.

/** The wasm category each command is in (server/acl/categories.ts), for NOPERM hints. */
const CATEGORY_OF: Record<string, string> = {
  "wasm.load": "wasm-deploy",
  "wasm.loadb": "wasm-deploy",
  "wasm.update": "wasm-deploy",
  "wasm.reload": "wasm-deploy",
  "wasm.unload": "wasm-deploy",
  "wasm.rollback": "wasm-deploy",
  "trigger.create": "wasm-deploy",
  "trigger.delete": "wasm-deploy",
  "trigger.enable": "wasm-deploy",
  "trigger.disable": "wasm-deploy",
  "trigger.list": "wasm-deploy",
  "trigger.info": "wasm-deploy",
  "wasm.call": "wasm-call",
  "wasm.callread": "wasm-call",
  "wasm.list": "wasm-info",
  "wasm.info": "wasm-info",
  "wasm.stats": "wasm-info",
  "wasm.versions": "wasm-info",
  "wasm.logs": "wasm-observe",
  "wasm.slowlog": "wasm-observe",
  "wasm.failures": "wasm-observe",
  "wasm.dump": "wasm-observe",
};

/** For a NOPERM reply: what to grant. `ACL SETUSER user +wasm.loadb (or +@wasm-deploy)` for a command, a key pattern for a key. */
export function missingPermission(reply: string): string | null {
  const cmd = /^NOPERM User (\S+) has no permissions to run the '([^']+)' command/.exec(reply);
  if (cmd) {
    const [, user, command] = cmd;
    const category = CATEGORY_OF[command.split("|")[0]];
    return `ACL SETUSER ${user} +${command}${category ? ` (or the whole category: +@${category})` : ""}`;
  }
  if (/^NOPERM No permissions to access a key/.test(reply)) {
    const user = /user '([^']+)'$/.exec(reply);
    return `a key pattern covering that key (ACL SETUSER ${user ? user[1] : "<user>"} ~pattern, or %R~pattern to read only)`;
  }
  return null;
}
