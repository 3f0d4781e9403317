// The function registry kept in a Redis store, so every server over that store serves the same
// functions and triggers (docs/scale.md). Layout, all under REGISTRY_PREFIX (one hash tag):
//   functions  hash  name -> JSON record: settings, active version, kept versions, rev
//   modules    hash  sha256 -> module bytes; sha256 + ":map" -> its source map
//   triggers   hash  trigger name -> JSON definition
//   epoch      integer, bumped by every change; PUBLISHed on `changes` after each one
// Each change is one Lua script: it checks the record's rev is the one the server based its change
// on (two servers changing one function at once: the second is told to run its command again),
// stores the module, writes the record, drops modules nothing refers to, bumps the epoch and
// publishes it. A server follows changes by pub/sub, by reconciling after its subscriber
// reconnects, and by a periodic look at the epoch.
import { createHash, randomUUID } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "../context.js";
import type { PersistedFunction } from "../persist.js";
import type { TriggerDef } from "../triggers.js";
import type { StoredModule } from "../versions.js";
import { REGISTRY } from "./registry-keys.js";
import type { RedisStore } from "./redis-store.js";

/** A function as the store keeps it. */
export interface StoredFunction extends PersistedFunction {
  /** Changes with every write of the record: tells a server whether it has this version loaded. */
  rev: string;
  /** The export that runs. */
  entry?: string;
}

const KEYS = [REGISTRY.functions, REGISTRY.modules, REGISTRY.epoch];

// ARGV: name, expected rev ("" none), record JSON ("" delete), channel, then sha/bytes pairs to store.
const PUT_FUNCTION_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local rev = ''
if cur then rev = cjson.decode(cur).rev or '' end
if rev ~= ARGV[2] then return {0, rev} end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
local used = {}
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local r = cjson.decode(v)
  used[r.sha256] = true
  if type(r.versions) == 'table' then for _, ver in ipairs(r.versions) do used[ver.sha256] = true end end
end
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  if not used[string.sub(field, 1, 64)] then redis.call('HDEL', KEYS[2], field) end
end
local epoch = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], epoch)
return {1, epoch}
`;

// KEYS: triggers, epoch. ARGV: channel, count of sets, then name/JSON pairs, then names to delete.
const PUT_TRIGGERS_LUA = `
local n = tonumber(ARGV[2])
for i = 1, n do redis.call('HSET', KEYS[1], ARGV[1 + 2 * i], ARGV[2 + 2 * i]) end
for i = 3 + 2 * n, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
local epoch = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], epoch)
return epoch
`;

/** How often a server looks at the epoch besides pub/sub (a missed notice is caught by then). */
export const POLL_MS = 1000;

type Client = Redis | Cluster;

export class SharedRegistry {
  readonly #redis: Client;
  /** The epoch this server has caught up with. */
  seen = 0;

  constructor(
    readonly store: RedisStore,
    readonly log: Logger,
  ) {
    this.#redis = store.client;
  }

  async epoch(): Promise<number> {
    return Number((await this.#redis.get(REGISTRY.epoch)) ?? 0);
  }

  async functions(): Promise<Map<string, StoredFunction>> {
    const all = await this.#redis.hgetall(REGISTRY.functions);
    const out = new Map<string, StoredFunction>();
    for (const [name, json] of Object.entries(all)) {
      try {
        out.set(name, JSON.parse(json) as StoredFunction);
      } catch {
        this.log("warn", `the store's record of function '${name}' is unreadable; deploy it again`);
      }
    }
    return out;
  }

  /** Module bytes (and source maps) by sha256; a module whose bytes do not match its hash is left out. */
  async modules(hashes: string[], maps: string[]): Promise<Map<string, StoredModule>> {
    const unique = [...new Set(hashes)];
    if (unique.length === 0) return new Map();
    const fields = [...unique, ...maps.map((h) => `${h}:map`)];
    const values = await this.#redis.hmgetBuffer(REGISTRY.modules, ...fields);
    const out = new Map<string, StoredModule>();
    unique.forEach((hash, i) => {
      const bytes = values[i];
      if (!bytes) return;
      if (sha256(bytes) !== hash) {
        this.log("warn", `module ${hash.slice(0, 12)} in the store does not match its content hash; it was not loaded`);
        return;
      }
      const m = maps.indexOf(hash);
      const map = m >= 0 ? values[unique.length + m] : null;
      out.set(hash, { bytes: new Uint8Array(bytes), sourceMap: map ? map.toString("utf8") : undefined });
    });
    return out;
  }

  /**
   * Writes (record) or removes (null) a function, if its rev in the store is still `expectedRev`.
   * Returns the new rev, or null when another server changed it first.
   */
  async putFunction(name: string, expectedRev: string, record: Omit<StoredFunction, "rev"> | null, modules: [string, StoredModule][]): Promise<string | null> {
    const rev = randomUUID();
    const args: (string | Buffer)[] = [name, expectedRev, record ? JSON.stringify({ ...record, rev }) : "", REGISTRY.channel];
    for (const [hash, m] of modules) {
      args.push(hash, Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      if (m.sourceMap !== undefined) args.push(`${hash}:map`, m.sourceMap);
    }
    const [ok, epoch] = (await this.#redis.eval(PUT_FUNCTION_LUA, KEYS.length, ...KEYS, ...args)) as [number, number | string];
    if (ok !== 1) return null;
    this.#wrote(Number(epoch));
    return rev;
  }

  /** The trigger definitions in the store, in creation order. */
  async triggers(): Promise<TriggerDef[]> {
    const all = await this.#redis.hgetall(REGISTRY.triggers);
    this.#triggerJson = new Map(Object.entries(all));
    return Object.values(all)
      .map((json) => JSON.parse(json) as TriggerDef)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name));
  }

  #triggerJson = new Map<string, string>();

  /** Saves this server's trigger definitions: only the ones it changed, so others' stay. */
  async saveTriggers(defs: TriggerDef[], all = false): Promise<void> {
    if (all) this.#triggerJson = new Map();
    const next = new Map(defs.map((d) => [d.name, JSON.stringify(d)]));
    const args: string[] = [REGISTRY.channel, "0"];
    let n = 0;
    for (const [name, json] of next) if (this.#triggerJson.get(name) !== json) (args.push(name, json), n++);
    args[1] = String(n);
    for (const name of this.#triggerJson.keys()) if (!next.has(name)) args.push(name);
    if (args.length === 2) return;
    const epoch = await this.#redis.eval(PUT_TRIGGERS_LUA, 2, REGISTRY.triggers, REGISTRY.epoch, ...args);
    this.#triggerJson = next;
    this.#wrote(Number(epoch));
  }

  /**
   * After this server's own change: caught up only if no other change came between. Taking a later
   * epoch as seen would skip the other server's change when its notice arrives after this answer.
   */
  #wrote(epoch: number): void {
    if (epoch === this.seen + 1) this.seen = epoch;
  }

  /** Calls `onChange` when another server may have changed the registry. */
  follow(onChange: (reason: string) => void): void {
    this.#follower = followChanges(this.store, this.log, {
      connection: "ferrite-wasm:registry",
      channel: REGISTRY.channel,
      what: "registry changes",
      seen: () => this.seen,
      epoch: () => this.epoch(),
      onChange,
    });
  }

  #follower: Follower | null = null;

  async close(): Promise<void> {
    await this.#follower?.close();
  }
}

export interface Follower {
  close(): Promise<void>;
}

export interface FollowOptions {
  /** The subscriber connection's name (CLIENT LIST on the store). */
  connection: string;
  channel: string;
  /** For the log: "registry changes". */
  what: string;
  /** The epoch this server has caught up with. */
  seen: () => number;
  epoch: () => Promise<number>;
  onChange: (reason: string) => void;
}

/**
 * Follows a pub/sub channel whose messages are epochs: calls `onChange` on a newer epoch, after the
 * subscriber reconnects (notices may have been missed), and when a look at the epoch every POLL_MS
 * finds it moved (a lost notice is caught by then).
 */
export function followChanges(store: RedisStore, log: Logger, o: FollowOptions): Follower {
  const sub = store.connection(o.connection);
  sub.on("message", (_channel: string, message: string) => {
    if (Number(message) > o.seen()) o.onChange("notice");
  });
  let connectedOnce = false;
  sub.on("ready", () => {
    // After a reconnect notices may have been missed: catch up.
    if (connectedOnce) o.onChange("reconnect");
    connectedOnce = true;
  });
  sub.connect().then(
    () => sub.subscribe(o.channel),
    (e: Error) => log("warn", `cannot subscribe to ${o.what} (${e.message}); polling every ${POLL_MS} ms only`),
  );
  const poll = setInterval(() => {
    o.epoch().then(
      (epoch) => {
        if (epoch !== o.seen()) o.onChange("epoch");
      },
      () => {}, // the store is down: the next tick tries again
    );
  }, POLL_MS);
  poll.unref();
  return {
    async close() {
      clearInterval(poll);
      await sub.quit().catch(() => sub.disconnect());
    },
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
