// Which key commands fire which trigger events, as data: command name -> the writes it is about to
// make. SET covers every command that stores a new value (the value it will store is computed
// first, so INCR's trigger sees the resulting number); DEL every command that removes keys.
import { addDecimals, parseDecimal, parseInt64, type MaybePromise } from "./store/keyspace.js";

export type TriggerEvent = "SET" | "DEL";
export const TRIGGER_EVENTS: readonly TriggerEvent[] = ["SET", "DEL"];

/** One key a command is about to write; `value` is null for DEL. */
export interface PendingWrite {
  event: TriggerEvent;
  key: Buffer;
  value: Buffer | null;
}

/** Reads the value a command is about to change (the client's database). */
export interface ValueReader {
  get(key: Uint8Array): MaybePromise<Uint8Array | null>;
}

type Extract = (args: Buffer[], keyspace: ValueReader) => PendingWrite[] | Promise<PendingWrite[]>;

const set = (key: Buffer, value: Buffer): PendingWrite => ({ event: "SET", key, value });
const del = (key: Buffer): PendingWrite => ({ event: "DEL", key, value: null });

/** A write whose value depends on the current one (read first); none when the command will fail anyway. */
function fromCurrent(key: (args: Buffer[]) => Buffer, compute: (current: Uint8Array | null, args: Buffer[]) => PendingWrite[]): Extract {
  return (args, keyspace) => {
    const current = keyspace.get(key(args));
    return current instanceof Promise ? current.then((v) => compute(v, args)) : compute(current, args);
  };
}

/** INCR and friends: the number the key will hold. */
function incr(delta: (args: Buffer[]) => bigint | null): Extract {
  return fromCurrent(
    (args) => args[1],
    (current, args) => {
      const d = delta(args);
      const n = current === null ? 0n : parseInt64(Buffer.from(current).toString("latin1"));
      return d === null || n === null ? [] : [set(args[1], Buffer.from(String(n + d)))];
    },
  );
}

const bytes = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

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
  ["setnx", (args) => [set(args[1], args[2])]],
  ["setex", (args) => [set(args[1], args[3])]],
  ["psetex", (args) => [set(args[1], args[3])]],
  ["getset", (args) => [set(args[1], args[2])]],
  [
    "msetnx",
    (args) => {
      const out: PendingWrite[] = [];
      for (let i = 1; i + 1 < args.length; i += 2) out.push(set(args[i], args[i + 1]));
      return out;
    },
  ],
  ["append", fromCurrent((a) => a[1], (cur, a) => [set(a[1], cur === null ? a[2] : Buffer.concat([bytes(cur), a[2]]))])],
  [
    "setrange",
    fromCurrent(
      (a) => a[1],
      (cur, a) => {
        const offset = int(a[2]);
        if (offset === null || offset < 0n || offset > 2n ** 32n || a[3].length === 0) return [];
        const next = Buffer.alloc(Math.max(cur?.byteLength ?? 0, Number(offset) + a[3].length));
        if (cur) next.set(cur);
        a[3].copy(next, Number(offset));
        return [set(a[1], next)];
      },
    ),
  ],
  [
    "incrbyfloat",
    fromCurrent(
      (a) => a[1],
      (cur, a) => {
        const d = parseDecimal(a[2].toString("latin1"));
        const base = cur === null ? { m: 0n, e: 0 } : parseDecimal(Buffer.from(cur).toString("latin1"));
        const sum = d === null || d === "inf" || base === null || base === "inf" ? null : addDecimals(base, d);
        return sum === null ? [] : [set(a[1], Buffer.from(sum))];
      },
    ),
  ],
  ["getdel", (args) => [del(args[1])]],
  ["rename", fromCurrent((a) => a[1], (cur, a) => (cur === null ? [] : [del(a[1]), set(a[2], bytes(cur))]))],
  ["renamenx", fromCurrent((a) => a[1], (cur, a) => (cur === null ? [] : [del(a[1]), set(a[2], bytes(cur))]))],
  ["copy", fromCurrent((a) => a[1], (cur, a) => (cur === null ? [] : [set(a[2], bytes(cur))]))],
  ["move", (args) => [del(args[1])]],
  ["incr", incr(() => 1n)],
  ["decr", incr(() => -1n)],
  ["incrby", incr((a) => int(a[2]))],
  ["decrby", incr((a) => { const n = int(a[2]); return n === null ? null : -n; })],
  ["del", (args) => args.slice(1).map(del)],
  ["unlink", (args) => args.slice(1).map(del)],
]);
