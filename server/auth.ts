// Who may talk to the server: requirepass (the `default` user) and named users from [server] users.
// Passwords are compared in constant time through their hashes.
import { createHash, timingSafeEqual } from "node:crypto";
import type { ServerConfig } from "./config/schema.js";

export const NOAUTH = "NOAUTH Authentication required.";
export const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const NO_PASSWORD_SET =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";

interface User {
  digest: Buffer;
  enabled: boolean;
}

const digest = (s: string | Uint8Array) => createHash("sha256").update(s).digest();

export class Auth {
  #users = new Map<string, User>();
  #defaultPassword: Buffer | null = null;
  #requirepass = "";

  constructor(config: Pick<ServerConfig, "requirepass" | "users">) {
    for (const u of config.users) this.#users.set(u.name, { digest: digest(u.password), enabled: u.enabled });
    this.setRequirePass(config.requirepass ?? null);
  }

  /** Whether a new connection must authenticate before running commands. */
  get required(): boolean {
    return this.#defaultPassword !== null || this.#users.size > 0;
  }

  /** CONFIG SET requirepass; empty or null removes the password. */
  setRequirePass(password: string | null): void {
    this.#defaultPassword = password ? digest(password) : null;
    this.#requirepass = password ?? "";
  }

  /** CONFIG GET requirepass shows it, as Redis does (CONFIG is an admin command). */
  get requirepass(): string {
    return this.#requirepass;
  }

  get hasDefaultPassword(): boolean {
    return this.#defaultPassword !== null;
  }

  /** True when the pair is valid and the user enabled. */
  check(user: string, password: Uint8Array): boolean {
    const given = digest(password);
    if (user === "default" && this.#defaultPassword !== null) return timingSafeEqual(given, this.#defaultPassword);
    const u = this.#users.get(user);
    if (!u) {
      timingSafeEqual(given, given); // same work whether or not the user exists
      return false;
    }
    return timingSafeEqual(given, u.digest) && u.enabled;
  }
}
