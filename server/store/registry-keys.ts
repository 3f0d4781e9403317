// Where a Redis store keeps the server's own state: the function registry and the ACL users
// (docs/scale.md).
// One prefix, one hash tag: in a Redis Cluster every registry key lives in the same slot.
export const REGISTRY_PREFIX = "{ferrite-wasm}:";

export const REGISTRY = {
  /** Hash: function name -> its record (JSON: active version, versions, settings). */
  functions: `${REGISTRY_PREFIX}functions`,
  /** Hash: sha256 -> module bytes (and sha256 + ":map" -> its source map). */
  modules: `${REGISTRY_PREFIX}modules`,
  /** Hash: trigger name -> its definition (JSON). */
  triggers: `${REGISTRY_PREFIX}triggers`,
  /** Counter bumped by every change, so a server can tell it is behind. */
  epoch: `${REGISTRY_PREFIX}epoch`,
  /** Pub/sub channel: a change was made (the message is the new epoch). */
  channel: `${REGISTRY_PREFIX}changes`,
  /** Hash: ACL user name -> its rules as ACL LIST prints them after the name (passwords as #sha256). */
  acl: `${REGISTRY_PREFIX}acl`,
  /** Counter bumped by every change of the users (apart from the functions' epoch: one does not reload the other). */
  aclEpoch: `${REGISTRY_PREFIX}acl-epoch`,
  /** Pub/sub channel: the users changed (the message is the new ACL epoch). */
  aclChannel: `${REGISTRY_PREFIX}acl-changes`,
} as const;

/** The keys KEYS/SCAN/DBSIZE never show and FLUSHDB keeps. */
export const REGISTRY_KEYS = [REGISTRY.functions, REGISTRY.modules, REGISTRY.triggers, REGISTRY.epoch, REGISTRY.acl, REGISTRY.aclEpoch];
