// The ACL users kept in a Redis store, so every server over that store enforces the same users
// (docs/scale.md). Beside the function registry, under the same prefix (one hash tag):
//   acl        hash  user name -> its rules as ACL LIST prints them after the name (#sha256 passwords)
//   acl-epoch  integer, bumped by every change; PUBLISHed on acl-changes after each one
// Every change is one Lua script. ACL SETUSER writes a user only if the store still has the rules
// the server based its change on (another server changed that user at the same moment: the server
// applies the command's rules to the store's version and writes again), so rules given on two
// servers at once both take effect, as they would in order on one server.
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "../context.js";
import { REGISTRY } from "./registry-keys.js";
import { followChanges, type Follower } from "./registry.js";
import type { RedisStore } from "./redis-store.js";

const KEYS = [REGISTRY.acl, REGISTRY.aclEpoch];

// ARGV: channel, "" (always) or an epoch (only when the store's is below it: it lost the users),
// then name/rules pairs written where the store has no such user. Returns {epoch, seeded names, HGETALL}.
const SYNC_LUA = `
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
local seeded = {}
if ARGV[2] == '' or epoch < tonumber(ARGV[2]) then
  for i = 3, #ARGV, 2 do
    if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then seeded[#seeded + 1] = ARGV[i] end
  end
  if #seeded > 0 then
    epoch = redis.call('INCR', KEYS[2])
    redis.call('PUBLISH', ARGV[1], epoch)
  end
end
return {epoch, seeded, redis.call('HGETALL', KEYS[1])}
`;

// ARGV: channel, name, the rules the change was based on ("" no such user), the new rules.
const PUT_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[2]) or ''
if cur ~= ARGV[3] then return {0, cur} end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
local epoch = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], epoch)
return {1, epoch}
`;

// ARGV: channel, then names. Returns {epoch, the names the store had}.
const DELETE_LUA = `
local removed = {}
for i = 2, #ARGV do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then removed[#removed + 1] = ARGV[i] end
end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
if #removed > 0 then
  epoch = redis.call('INCR', KEYS[2])
  redis.call('PUBLISH', ARGV[1], epoch)
end
return {epoch, removed}
`;

export interface AclSnapshot {
  epoch: number;
  /** Name -> rules, every user the store has. */
  users: Map<string, string>;
  /** The names this call wrote (the store did not have them). */
  seeded: string[];
}

export class SharedAcl {
  readonly #redis: Redis | Cluster;
  #follower: Follower | null = null;
  /** The ACL epoch this server has caught up with; -1 after a failed write (look at the store again). */
  seen = 0;

  constructor(
    readonly store: RedisStore,
    readonly log: Logger,
  ) {
    this.#redis = store.client;
  }

  get where(): string {
    return this.store.where;
  }

  async epoch(): Promise<number> {
    return Number((await this.#redis.get(REGISTRY.aclEpoch)) ?? 0);
  }

  /**
   * Every user in the store. `seed` (name, rules) is written first for the names the store lacks:
   * always when `lostBelow` is null (start-up), else only when the store's epoch went below it.
   */
  async sync(seed: [string, string][], lostBelow: number | null): Promise<AclSnapshot> {
    const args = [REGISTRY.aclChannel, lostBelow === null ? "" : String(lostBelow), ...seed.flat()];
    const [epoch, seeded, flat] = (await this.#redis.eval(SYNC_LUA, KEYS.length, ...KEYS, ...args)) as [number, string[], string[]];
    const users = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) users.set(flat[i], flat[i + 1]);
    return { epoch: Number(epoch), users, seeded };
  }

  /**
   * Writes `rules` for `name` if the store still has `expected` (null: no such user). Returns null
   * when written, else what the store has now (null: no such user).
   */
  async put(name: string, expected: string | null, rules: string): Promise<{ current: string | null } | null> {
    const [ok, value] = (await this.#redis.eval(PUT_LUA, KEYS.length, ...KEYS, REGISTRY.aclChannel, name, expected ?? "", rules)) as [number, number | string];
    if (ok !== 1) return { current: value === "" ? null : String(value) };
    this.#wrote(Number(value));
    return null;
  }

  /** Removes the users; returns the names the store had. */
  async remove(names: string[]): Promise<string[]> {
    const [epoch, removed] = (await this.#redis.eval(DELETE_LUA, KEYS.length, ...KEYS, REGISTRY.aclChannel, ...names)) as [number, string[]];
    if (removed.length > 0) this.#wrote(Number(epoch));
    return removed;
  }

  /** After this server's own change: caught up only if no other change came between (else the next look reconciles). */
  #wrote(epoch: number): void {
    if (epoch === this.seen + 1) this.seen = epoch;
  }

  /** Calls `onChange` when another server may have changed the users. */
  follow(onChange: (reason: string) => void): void {
    this.#follower = followChanges(this.store, this.log, {
      connection: "ferrite-wasm:acl",
      channel: REGISTRY.aclChannel,
      what: "ACL user changes",
      seen: () => this.seen,
      epoch: () => this.epoch(),
      onChange,
    });
  }

  async close(): Promise<void> {
    await this.#follower?.close();
  }
}
