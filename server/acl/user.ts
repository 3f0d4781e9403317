// One ACL user: Redis's rule syntax (a documented subset, docs/config.md#users-and-permissions),
// applied token by token as ACL SETUSER does, and described back as ACL LIST prints it.
import { createHash } from "node:crypto";
import { FerriteError, type CallOptions, type KeyPermissions } from "../../runtime-sim/index.js";
import { compileGlob } from "../../runtime-sim/host.js";
import type { CommandSpec } from "../commands/registry.js";
import { commandCategories, isCategory, type AclCategory } from "./categories.js";
import { isReserved, RESERVED_REFUSAL } from "./reserved.js";

/** A rule that cannot be applied; `reason` is Redis's text ("Syntax error", ...). */
export class AclRuleError extends FerriteError<"ERR_COMMAND"> {
  constructor(
    readonly token: string,
    readonly reason: string,
  ) {
    super("ERR_COMMAND", `Error in ACL SETUSER modifier '${token}': ${reason}`);
    this.name = "AclRuleError [ERR_COMMAND]";
  }
}

/** The commands rules may name: the command table (and, with a Redis store, the store's). */
export interface CommandCatalog {
  has(name: string): boolean;
}

interface CommandRule {
  allow: boolean;
  /** "@read", "get" or "config|get". */
  target: string;
}

interface KeyPattern {
  read: boolean;
  write: boolean;
  pattern: string;
  /** The pattern compiled once: this runs for every key a restricted user's command or function touches. */
  matches: (key: string) => boolean;
}

export const sha256hex = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");
const HASH = /^[0-9a-f]{64}$/;

export class AclUser implements KeyPermissions {
  enabled = false;
  nopass = false;
  /** SHA-256 of each password, hex, in the order they were added. */
  readonly passwords: string[] = [];
  sanitize: "" | "sanitize-payload" | "skip-sanitize-payload" = "";
  #allCommands = false;
  #rules: CommandRule[] = [];
  #allKeys = false;
  #keys: KeyPattern[] = [];
  #allChannels = false;
  #channels: string[] = [];
  /** canRun's answers by command (and subcommand), cleared by every change. */
  #cache = new Map<string, boolean>();

  constructor(readonly name: string) {}

  /** `base` with this user's key permissions added; one object per base, not one per call. */
  callOptions(base: CallOptions): CallOptions {
    let o = this.#options.get(base);
    if (o === undefined) this.#options.set(base, (o = { ...base, keys: this }));
    return o;
  }
  readonly #options = new Map<CallOptions, CallOptions>();

  /** Every command on every key: the dispatch path checks nothing more for this user. */
  get unrestricted(): boolean {
    return this.#allCommands && this.#rules.length === 0 && this.#allKeys;
  }

  get allKeys(): boolean {
    return this.#allKeys;
  }

  /** Applies rules in order, all or none (as ACL SETUSER does); throws AclRuleError. */
  applyAll(tokens: readonly string[], catalog: CommandCatalog): void {
    const copy = this.clone();
    for (const t of tokens) copy.apply(t, catalog);
    this.#assign(copy);
  }

  clone(): AclUser {
    const u = new AclUser(this.name);
    u.#assign(this);
    return u;
  }

  /** Takes every rule of `o` in place, so connections holding this object get them at once. */
  copyFrom(o: AclUser): void {
    this.#assign(o);
  }

  #assign(o: AclUser): void {
    this.enabled = o.enabled;
    this.nopass = o.nopass;
    this.passwords.length = 0;
    this.passwords.push(...o.passwords);
    this.sanitize = o.sanitize;
    this.#allCommands = o.#allCommands;
    this.#rules = [...o.#rules];
    this.#allKeys = o.#allKeys;
    this.#keys = [...o.#keys];
    this.#allChannels = o.#allChannels;
    this.#channels = [...o.#channels];
    this.#cache = new Map();
  }

  apply(token: string, catalog: CommandCatalog): void {
    this.#cache.clear();
    const lower = token.toLowerCase();
    switch (lower) {
      case "on":
        this.enabled = true;
        return;
      case "off":
        this.enabled = false;
        return;
      case "nopass":
        this.nopass = true;
        this.passwords.length = 0;
        return;
      case "resetpass":
        this.nopass = false;
        this.passwords.length = 0;
        return;
      case "allkeys":
        this.#allKeys = true;
        this.#keys = [];
        return;
      case "resetkeys":
        this.#allKeys = false;
        this.#keys = [];
        return;
      case "allchannels":
        this.#allChannels = true;
        this.#channels = [];
        return;
      case "resetchannels":
        this.#allChannels = false;
        this.#channels = [];
        return;
      case "allcommands":
        return this.apply("+@all", catalog);
      case "nocommands":
        return this.apply("-@all", catalog);
      case "sanitize-payload":
      case "skip-sanitize-payload":
        this.sanitize = lower;
        return;
      case "reset":
        for (const t of ["resetpass", "resetkeys", "resetchannels", "off", "-@all", "sanitize-payload"]) this.apply(t, catalog);
        return;
    }
    const c = token[0];
    if (c === ">" || c === "<") {
      const hash = sha256hex(token.slice(1));
      return c === ">" ? this.#addPassword(hash) : this.#removePassword(token, hash);
    }
    if (c === "#" || c === "!") {
      const hash = token.slice(1);
      if (!HASH.test(hash)) {
        throw new AclRuleError(token, "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters");
      }
      return c === "#" ? this.#addPassword(hash) : this.#removePassword(token, hash);
    }
    // As Redis: a pattern cannot hold spaces, so a user's rules always print as one line that reads back.
    if ((c === "~" || c === "%" || c === "&") && /\s/.test(token)) throw new AclRuleError(token, "Syntax error");
    if (c === "~" || c === "%") return this.#addKeyPattern(token);
    if (c === "&") {
      if (this.#allChannels) {
        throw new AclRuleError(token, "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels");
      }
      if (token === "&*") return this.apply("allchannels", catalog);
      this.#channels.push(token.slice(1));
      return;
    }
    if (c === "+" || c === "-") return this.#addCommandRule(c === "+", token.slice(1).toLowerCase(), token, catalog);
    if (c === "(") throw new AclRuleError(token, "Selectors are not supported by ferrite-wasm; put the rules on the user itself");
    throw new AclRuleError(token, "Syntax error");
  }

  #addPassword(hash: string): void {
    this.nopass = false;
    if (!this.passwords.includes(hash)) this.passwords.push(hash);
  }

  #removePassword(token: string, hash: string): void {
    const i = this.passwords.indexOf(hash);
    if (i < 0) throw new AclRuleError(token, "The password you are trying to remove from the user does not exist");
    this.passwords.splice(i, 1);
  }

  #addKeyPattern(token: string): void {
    let read = true;
    let write = true;
    let pattern: string;
    if (token[0] === "~") pattern = token.slice(1);
    else {
      const tilde = token.indexOf("~");
      const flags = tilde < 0 ? "" : token.slice(1, tilde).toUpperCase();
      if (tilde < 0 || flags === "" || /[^RW]/.test(flags)) throw new AclRuleError(token, "Syntax error");
      read = flags.includes("R");
      write = flags.includes("W");
      pattern = token.slice(tilde + 1);
    }
    if (this.#allKeys) {
      throw new AclRuleError(token, "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    }
    if (pattern === "*" && read && write) {
      this.#allKeys = true;
      this.#keys = [];
      return;
    }
    this.#keys.push({ read, write, pattern, matches: compileGlob(pattern) });
  }

  #addCommandRule(allow: boolean, target: string, token: string, catalog: CommandCatalog): void {
    if (target === "@all") {
      this.#allCommands = allow;
      this.#rules = [];
      return;
    }
    if (target.startsWith("@")) {
      if (!isCategory(target.slice(1))) throw new AclRuleError(token, "Unknown command or category name in ACL");
    } else {
      const bar = target.indexOf("|");
      const name = bar < 0 ? target : target.slice(0, bar);
      if (!catalog.has(name) || bar === target.length - 1) throw new AclRuleError(token, "Unknown command or category name in ACL");
    }
    // A later rule for the same target overrides the earlier one entirely, so the earlier one goes.
    this.#rules = this.#rules.filter((r) => r.target !== target);
    this.#rules.push({ allow, target });
  }

  /** Whether this user may run `spec` (with subcommand `sub`, lower case, when it has subcommands). */
  canRun(spec: Pick<CommandSpec, "name" | "acl" | "flags" | "group" | "subcommands">, sub?: string): boolean {
    if (this.#rules.length === 0) return this.#allCommands;
    const id = sub === undefined ? spec.name : `${spec.name}|${sub}`;
    let allowed = this.#cache.get(id);
    if (allowed === undefined) {
      const subSpec = sub === undefined ? undefined : spec.subcommands?.find((s) => s.name === sub);
      const cats: readonly AclCategory[] = commandCategories({ ...spec, acl: subSpec?.acl ?? spec.acl });
      allowed = this.#allCommands;
      for (const r of this.#rules) {
        const hit = r.target[0] === "@" ? cats.includes(r.target.slice(1) as AclCategory) : r.target === spec.name || r.target === id;
        if (hit) allowed = r.allow;
      }
      this.#cache.set(id, allowed);
    }
    return allowed;
  }

  canRead(key: string): boolean {
    if (isReserved(key)) return false;
    if (this.#allKeys) return true;
    for (const k of this.#keys) if (k.read && k.matches(key)) return true;
    return false;
  }

  canWrite(key: string): boolean {
    if (isReserved(key)) return false;
    if (this.#allKeys) return true;
    for (const k of this.#keys) if (k.write && k.matches(key)) return true;
    return false;
  }

  refusal(key: string): string | null {
    return isReserved(key) ? RESERVED_REFUSAL : null;
  }

  /** Redis's key check: a pattern with every permission the access needs (none needed: any pattern). */
  canAccess(key: string, read: boolean, write: boolean): boolean {
    if (this.#allKeys) return true;
    for (const k of this.#keys) if ((!read || k.read) && (!write || k.write) && k.matches(key)) return true;
    return false;
  }

  /** Password check; a nopass user takes any password. */
  matches(password: Uint8Array): boolean {
    if (this.nopass) return true;
    const given = sha256hex(password);
    let ok = false;
    for (const p of this.passwords) ok = timingSafeHexEqual(p, given) || ok; // no early exit
    return ok;
  }

  flags(): string[] {
    const out = [this.enabled ? "on" : "off"];
    if (this.nopass) out.push("nopass");
    if (this.sanitize) out.push(this.sanitize);
    return out;
  }

  keysText(): string {
    if (this.#allKeys) return "~*";
    return this.#keys.map((k) => `${k.read && k.write ? "" : k.read ? "%R" : "%W"}~${k.pattern}`).join(" ");
  }

  channelsText(): string {
    if (this.#allChannels) return "&*";
    return ["resetchannels", ...this.#channels.map((c) => `&${c}`)].join(" ");
  }

  commandsText(): string {
    return [this.#allCommands ? "+@all" : "-@all", ...this.#rules.map((r) => `${r.allow ? "+" : "-"}${r.target}`)].join(" ");
  }

  /** As ACL LIST prints it: "user app on #<sha256> ~user:* resetchannels -@all +@wasm-call". */
  describe(): string {
    return `user ${this.name} ${this.rules()}`;
  }

  /**
   * The rules after the name in ACL LIST ("on #<sha256> ~user:* resetchannels -@all +@wasm-call"):
   * applied to a new user they give this one back, passwords as SHA-256 only.
   */
  rules(): string {
    const parts = [...this.flags(), ...this.passwords.map((p) => `#${p}`)];
    const keys = this.keysText();
    if (keys) parts.push(keys);
    parts.push(this.channelsText(), this.commandsText());
    return parts.join(" ");
  }
}

function timingSafeHexEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Splits a rules string ("on >secret ~user:* +@wasm-call") into tokens, as an ACL file line. */
export function splitRules(rules: string): string[] {
  return rules.split(/\s+/).filter((t) => t.length > 0);
}
