// Who may talk to the server and what they may do: the ACL users. `default` is Redis's: `on nopass`
// with every permission until requirepass gives it a password or the config changes its rules.
// Other users do not make AUTH mandatory by themselves. Passwords are kept as SHA-256 only.
import { ConfigError } from "./config/load.js";
import type { ServerConfig } from "./config/schema.js";
import { AclRuleError, AclUser, splitRules, type CommandCatalog } from "./acl/user.js";

export const NOAUTH = "NOAUTH Authentication required.";
export const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const NO_PASSWORD_SET =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";


export class Auth {
  readonly #users = new Map<string, AclUser>();
  readonly #catalog: CommandCatalog;
  #requirepass = "";

  constructor(config: Pick<ServerConfig, "requirepass" | "users">, catalog: CommandCatalog) {
    this.#catalog = catalog;
    const def = new AclUser("default");
    def.applyAll(["on", "nopass", "~*", "&*", "+@all"], catalog);
    this.#users.set("default", def);
    this.setRequirePass(config.requirepass ?? null);
    config.users.forEach((u, i) => {
      // The older shape { name, password, enabled } keeps its meaning: every permission.
      const tokens = u.rules !== undefined ? splitRules(u.rules) : [u.enabled === false ? "off" : "on", `>${u.password}`, "~*", "&*", "+@all"];
      const user = this.#users.get(u.name) ?? new AclUser(u.name);
      try {
        user.applyAll(tokens, catalog);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        const key = `server.users.${i}`;
        throw new ConfigError(`${key} (${u.name}): rule '${e.token}': ${e.reason}; see docs/config.md#users-and-permissions`, null, key);
      }
      this.#users.set(u.name, user);
    });
  }

  /** Whether a new connection must authenticate before running commands (default is not on nopass). */
  get required(): boolean {
    const d = this.default;
    return !(d.enabled && d.nopass);
  }

  get default(): AclUser {
    return this.#users.get("default")!;
  }

  /** CONFIG SET requirepass: the default user's only password; empty or null makes it nopass. */
  setRequirePass(password: string | null): void {
    this.default.applyAll(password ? ["resetpass", `>${password}`] : ["nopass"], this.#catalog);
    this.#requirepass = password ?? "";
  }

  /** CONFIG GET requirepass shows it, as Redis does (CONFIG is an admin command). */
  get requirepass(): string {
    return this.#requirepass;
  }

  get hasDefaultPassword(): boolean {
    return !this.default.nopass;
  }

  /** The user when the pair is valid and the user enabled, else null. Same work whether or not the user exists. */
  authenticate(user: string, password: Uint8Array): AclUser | null {
    const u = this.#users.get(user);
    if (!u) {
      new AclUser("").matches(password);
      return null;
    }
    return u.matches(password) && u.enabled ? u : null;
  }

  check(user: string, password: Uint8Array): boolean {
    return this.authenticate(user, password) !== null;
  }

  get(name: string): AclUser | undefined {
    return this.#users.get(name);
  }

  /** Names, sorted (ACL USERS). */
  names(): string[] {
    return [...this.#users.keys()].sort();
  }

  /** ACL SETUSER: creates the user (off, no permissions) when new; all rules apply or none. */
  setUser(name: string, tokens: readonly string[]): AclUser {
    const existing = this.#users.get(name);
    const user = existing ?? new AclUser(name);
    user.applyAll(tokens, this.#catalog);
    if (!existing) this.#users.set(name, user);
    return user;
  }

  deleteUser(name: string): boolean {
    return this.#users.delete(name);
  }

  get catalog(): CommandCatalog {
    return this.#catalog;
  }
}
