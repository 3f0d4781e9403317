// Who may talk to the server and what they may do: the ACL users. `default` is Redis's: `on nopass`
// with every permission until requirepass gives it a password or the config changes its rules.
// Other users do not make AUTH mandatory by themselves. Passwords are kept as SHA-256 only.
// With a Redis store the users live in the store (share(), store/acl-store.ts): the config's users
// seed it where it lacks them, the store's win afterwards, and changes made on any server apply here.
import { FerriteError } from "../runtime-sim/index.js";
import { ConfigError } from "./config/load.js";
import type { ServerConfig } from "./config/schema.js";
import type { Logger } from "./context.js";
import { AclRuleError, AclUser, splitRules, type CommandCatalog } from "./acl/user.js";
import type { SharedAcl } from "./store/acl-store.js";

export const NOAUTH = "NOAUTH Authentication required.";
export const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const NO_PASSWORD_SET =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";


/** How often ACL SETUSER applies its rules again to another server's simultaneous change before giving up. */
const PUT_ATTEMPTS = 10;

export class Auth {
  readonly #users = new Map<string, AclUser>();
  readonly #catalog: CommandCatalog;
  #requirepass = "";
  #shared: SharedAcl | null = null;
  /** Each user's rules as last read from or written to the store: what a change there is compared with. */
  #stored = new Map<string, string>();
  /** Store changes and reconciles one at a time, so a slow read never undoes a newer write. */
  #queue: Promise<unknown> = Promise.resolve();
  #log: Logger = () => {};
  /** Closes the connections of a user removed on another server (as ACL DELUSER here does); returns how many. */
  onRemoved: (user: AclUser) => number = () => 0;

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
    if (this.#shared) {
      // A change here alone would leave this server unlike the others; the store's default is everyone's.
      throw new Error(
        `the users live in the store at ${this.#shared.where} for every server; change the default user's password there with ACL SETUSER default resetpass >password (or nopass)`,
      );
    }
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

  /**
   * ACL SETUSER: creates the user (off, no permissions) when new; all rules apply or none. With a
   * shared store the change is written there first and applied here only once stored.
   */
  setUser(name: string, tokens: readonly string[]): void | Promise<void> {
    if (this.#shared) return this.#exclusive(() => this.#setShared(this.#shared!, name, tokens));
    const existing = this.#users.get(name);
    const user = existing ?? new AclUser(name);
    user.applyAll(tokens, this.#catalog);
    if (!existing) this.#users.set(name, user);
  }

  /** ACL DELUSER: the users removed (their connections are the caller's to close). */
  deleteUsers(names: readonly string[]): AclUser[] | Promise<AclUser[]> {
    if (this.#shared) return this.#exclusive(() => this.#deleteShared(this.#shared!, names));
    const removed: AclUser[] = [];
    for (const name of new Set(names)) {
      const user = this.#users.get(name);
      if (user && this.#users.delete(name)) removed.push(user);
    }
    return removed;
  }

  /** The store keeps the users (a Redis store): true from share() on. */
  get shared(): boolean {
    return this.#shared !== null;
  }

  /**
   * Over a Redis store: writes this server's users (the config's, and default) where the store has
   * no user of that name, then takes every user as the store has it, and says at start-up where the
   * config file and the store differ.
   */
  async share(acl: SharedAcl, log: Logger): Promise<void> {
    this.#log = log;
    const mine = this.#lines();
    const snapshot = await acl.sync(mine, null);
    this.#shared = acl;
    this.#adopt(snapshot.users, false);
    acl.seen = snapshot.epoch;
    const overridden = mine.filter(([name, rules]) => !snapshot.seeded.includes(name) && snapshot.users.has(name) && snapshot.users.get(name) !== rules).map(([name]) => name);
    if (overridden.length > 0) {
      log("info", `the store at ${acl.where} already has ACL users ${overridden.join(", ")}: its rules apply, not this config file's (change them with ACL SETUSER)`);
    }
    const d = this.default;
    if (this.#requirepass && (d.nopass || !d.matches(Buffer.from(this.#requirepass)))) {
      const open = d.nopass ? " (it is nopass: clients need no password)" : "";
      log("warn", `requirepass is not the password of the default user kept in the store at ${acl.where}${open}; every server uses the store's: set it there with ACL SETUSER default resetpass >password`);
    }
  }

  /** Takes what other servers changed (a notice, a reconnect, the epoch moved). */
  reconcile(): Promise<void> {
    return this.#exclusive(async () => {
      const acl = this.#shared!;
      let snapshot = await acl.sync([], acl.seen);
      // The epoch only grows: lower than what this server saw means the store lost the users (a
      // restart without persistence, a failover to a stale replica). Put back the ones this server
      // has rather than locking everyone out; one another server wrote back first is taken from there.
      if (snapshot.epoch < acl.seen) {
        snapshot = await acl.sync(this.#lines(), acl.seen);
        if (snapshot.seeded.length > 0) {
          this.#log("warn", `the store at ${acl.where} lost the ACL users (epoch went back); wrote this server's back: ${snapshot.seeded.join(", ")}`);
        }
      }
      this.#adopt(snapshot.users, true);
      acl.seen = snapshot.epoch;
    });
  }

  #lines(): [string, string][] {
    return [...this.#users].map(([name, user]) => [name, user.rules()]);
  }

  /** Makes this server's users the store's: changed in place (connections see it at once), added, removed. */
  #adopt(users: Map<string, string>, elsewhere: boolean): void {
    for (const [name, rules] of users) {
      const existing = this.#users.get(name);
      if (existing && this.#stored.get(name) === rules) continue;
      const user = this.#read(name, rules);
      if (existing) existing.copyFrom(user);
      else this.#users.set(name, user);
      if (elsewhere) this.#log("info", `ACL user '${name}' was ${existing ? "changed" : "added"} on another server`);
    }
    for (const [name, user] of this.#users) {
      // default cannot be removed (a store that lacks it keeps this server's).
      if (users.has(name) || name === "default") continue;
      this.#users.delete(name);
      const closed = this.onRemoved(user);
      this.#log("info", `ACL user '${name}' was removed on another server; ${closed} connection(s) of it closed`);
    }
    this.#stored = new Map(users);
  }

  /** A user from the store's rules; rules this server cannot apply leave it off with no permissions. */
  #read(name: string, rules: string): AclUser {
    const user = new AclUser(name);
    try {
      user.applyAll(splitRules(rules), this.#catalog);
    } catch (e) {
      if (!(e instanceof AclRuleError)) throw e;
      const where = this.#shared?.where ?? "the store";
      this.#log(
        "error",
        `ACL user '${name}' in the store at ${where} has rule '${e.token}' that this server cannot apply (${e.reason}); the user is off on this server until ACL SETUSER ${name} gives rules every server knows (or all servers run the same version)`,
      );
      return new AclUser(name);
    }
    return user;
  }

  async #setShared(acl: SharedAcl, name: string, tokens: readonly string[]): Promise<void> {
    let expected = this.#stored.get(name) ?? null;
    let base = this.#users.get(name)?.clone() ?? new AclUser(name);
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const next = base.clone();
      next.applyAll(tokens, this.#catalog); // a bad rule: AclRuleError, nothing written anywhere
      const rules = next.rules();
      const conflict = await this.#store(acl, `user '${name}' was not changed`, () => acl.put(name, expected, rules));
      if (conflict === null) {
        const existing = this.#users.get(name);
        if (existing) existing.copyFrom(next);
        else this.#users.set(name, next);
        this.#stored.set(name, rules);
        return;
      }
      // Another server changed this user since this server last looked: these rules go on top of that.
      expected = conflict.current;
      base = expected === null ? new AclUser(name) : this.#read(name, expected);
    }
    throw new FerriteError(
      "ERR_CONTENTION",
      `user '${name}' kept being changed on other servers while this change was applied ${PUT_ATTEMPTS} times; nothing was changed: run the command again`,
    );
  }

  async #deleteShared(acl: SharedAcl, names: readonly string[]): Promise<AclUser[]> {
    const gone = await this.#store(acl, "no user was removed", () => acl.remove([...new Set(names)]));
    const removed: AclUser[] = [];
    for (const name of gone) {
      const user = this.#users.get(name);
      this.#stored.delete(name);
      if (user && this.#users.delete(name)) removed.push(user);
    }
    return removed;
  }

  /** One write to the store; a failure changes nothing here and says what to do. */
  async #store<T>(acl: SharedAcl, unchanged: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      // The store may have applied it before the answer was lost: look again once it answers.
      acl.seen = -1;
      const err = e as Error;
      const message =
        err?.name === "ReplyError"
          ? `the store at ${acl.where} refused the change (${err.message}); ${unchanged}: fix what it says (this server must be able to run scripts on {ferrite-wasm}:acl, a hash), then run the command again`
          : `the store at ${acl.where} is unavailable (${err?.message ?? e}); ${unchanged} on this server: check that the store is running, then run the command again`;
      throw new FerriteError("ERR_STORE", message);
    }
  }

  #exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => {});
    return run;
  }

  get catalog(): CommandCatalog {
    return this.#catalog;
  }
}
