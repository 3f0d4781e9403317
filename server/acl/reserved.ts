// The server's own keys in a Redis store (the function registry and the ACL users, under
// REGISTRY_PREFIX): no client command and no function may touch them, whatever the user's patterns,
// or a user who may write keys could rewrite the users or the deployed code.
import type { CallOptions, KeyPermissions } from "../../runtime-sim/index.js";
import { REGISTRY_PREFIX } from "../store/registry-keys.js";

export const RESERVED_REFUSAL = `the server's own keys (${REGISTRY_PREFIX}*) are not for clients or functions`;

export function isReserved(key: string): boolean {
  return key.startsWith(REGISTRY_PREFIX);
}

/** A function's key permissions for a caller with every key: all but the server's own. */
class ServerKeys implements KeyPermissions {
  readonly name = "default";
  readonly #options = new Map<CallOptions, CallOptions>();

  canRead(key: string): boolean {
    return !isReserved(key);
  }

  canWrite(key: string): boolean {
    return !isReserved(key);
  }

  refusal(key: string): string | null {
    return isReserved(key) ? RESERVED_REFUSAL : null;
  }

  /** `base` with these permissions; one object per base, not one per call. */
  callOptions(base: CallOptions): CallOptions {
    let o = this.#options.get(base);
    if (o === undefined) this.#options.set(base, (o = { ...base, keys: this }));
    return o;
  }
}

export const SERVER_KEYS = new ServerKeys();
