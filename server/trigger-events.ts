// Which key commands fire which trigger events, as data: command name -> the writes it is about to
// make. SET covers every command that stores a new value (the value it will store is computed
// first, so INCR's trigger sees the resulting number); DEL every command that removes keys.
import type { Keyspace } from "./store/keyspace.js";
import { parseInt64 } from "./store/keyspace.js";

export type TriggerEvent = "SET" | "DEL";
export const TRIGGER_EVENTS: readonly TriggerEvent[] = ["SET", "DEL"];

/** One key a command is about to write; `value` is null for DEL. */
export interface PendingWrite {
  event: TriggerEvent;
  key: Buffer;
  value: Buffer | null;
}

type Extract = (args: Buffer[], keyspace: Keyspace) => PendingWrite[] | Promise<PendingWrite[]>;

const set = (key: Buffer, value: Buffer): PendingWrite => ({ event: "SET", key, value });

/** INCR and friends: the number the key will hold; none when the command will fail anyway. */
function incr(delta: (args: Buffer[]) => bigint | null): Extract {
  return (args, keyspace) => {
    const d = delta(args);
    if (d === null) return [];
    const compute = (current: Uint8Array | null): PendingWrite[] => {
      const n = current === null ? 0n : parseInt64(Buffer.from(current).toString("latin1"));
      return n === null ? [] : [set(args[1], Buffer.from(String(n + d)))];
    };
    const current = keyspace.get(args[1]);
    return current instanceof Promise ? current.then(compute) : compute(current);
  };
}

const int = (b: Buffer) => parseInt64(b.toString("latin1"));

export const WRITE_EVENTS: ReadonlyMap<string, Extract> = new Map<string, Extract>([
  ["set", (args) => [set(args[1], args[2])]],
  [
    "mset",
    (args) => {
      const out: PendingWrite[] = [];
      for (let i = 1; i + 1 < args.length; i += 2) out.push(set(args[i], args[i + 1]));
      return out;
    },
  ],
  ["incr", incr(() => 1n)],
  ["decr", incr(() => -1n)],
  ["incrby", incr((a) => int(a[2]))],
  ["decrby", incr((a) => { const n = int(a[2]); return n === null ? null : -n; })],
  ["del", (args) => args.slice(1).map((key) => ({ event: "DEL" as const, key, value: null }))],
  ["unlink", (args) => args.slice(1).map((key) => ({ event: "DEL" as const, key, value: null }))],
]);
