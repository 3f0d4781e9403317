// Where a command's keys are, as Redis 7's key specs say it: a start (an argument index, or just
// after a keyword) and a way to find the keys from there (a range, or a count read from an
// argument). `commandKeys` is the one place that turns a request into its keys, for our own
// commands and for the store's commands passed through, so per-user key rules can see every key.
import type { CommandSpec } from "./registry.js";

/** Redis's key spec flags, spelt as COMMAND INFO shows them (RW, RO, OW, RM, then the details). */
export type KeySpecFlag = "RO" | "RW" | "OW" | "RM" | "access" | "update" | "insert" | "delete" | "not_key" | "incomplete" | "variable_flags";

export interface KeySpec {
  /** Redis's own remark on the flags, shown by COMMAND INFO. */
  notes?: string;
  flags: readonly KeySpecFlag[];
  begin: { index: number } | { keyword: string; startFrom: number };
  find: { lastKey: number; keyStep: number; limit: number } | { keyNumIdx: number; firstKey: number; keyStep: number };
  /** With "variable_flags": the flags this request really has (Redis's getkeys_proc, e.g. SET without GET). */
  flagsFor?: (args: readonly Buffer[]) => readonly KeySpecFlag[];
}

/** One key at argument `index` (GET key, SET key ...). */
export function keyAt(index: number, ...flags: KeySpecFlag[]): KeySpec {
  return { flags, begin: { index }, find: { lastKey: 0, keyStep: 1, limit: 0 } };
}

/** Keys from `index` to the end (lastKey -1), every `step` arguments (DEL k..., MSET k v ...). */
export function keysFrom(index: number, step: number, ...flags: KeySpecFlag[]): KeySpec {
  return { flags, begin: { index }, find: { lastKey: -1, keyStep: step, limit: 0 } };
}

/** The keys of a request, in the order its specs and arguments give them. */
export function commandKeys(spec: Pick<CommandSpec, "keySpecs">, args: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const ks of spec.keySpecs ?? []) {
    for (const i of keyIndexes(ks, args)) out.push(args[i]);
  }
  return out;
}

/** Argument indexes one spec selects; none when the request does not fit it (a syntax error). */
export function keyIndexes(ks: KeySpec, args: readonly Buffer[]): number[] {
  const argc = args.length;
  let first = 0;
  if ("index" in ks.begin) first = ks.begin.index;
  else {
    const { keyword, startFrom } = ks.begin;
    const start = startFrom > 0 ? startFrom : argc + startFrom;
    const end = startFrom > 0 ? argc - 1 : 1;
    const want = keyword.toLowerCase();
    for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
      if (i >= argc || i < 1) break;
      if (args[i].toString("latin1").toLowerCase() === want) {
        first = i + 1;
        break;
      }
    }
    if (first === 0) return [];
  }
  let last: number;
  let step: number;
  if ("lastKey" in ks.find) {
    const { lastKey, keyStep, limit } = ks.find;
    step = keyStep;
    if (lastKey >= 0) last = first + lastKey;
    else if (!limit) last = argc + lastKey;
    else last = first + (Math.floor((argc - first) / limit) + lastKey);
  } else {
    const { keyNumIdx, firstKey, keyStep } = ks.find;
    step = keyStep;
    if (keyNumIdx >= argc - first) return [];
    const text = args[first + keyNumIdx].toString("latin1");
    if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) return [];
    first += firstKey;
    last = first + Number(text) - 1;
  }
  if (last >= argc || last < first || first >= argc || step < 1) return [];
  const out: number[] = [];
  for (let i = first; i <= last; i += step) out.push(i);
  return out;
}

/** COMMAND INFO's legacy first/last/step, derived from the specs as Redis does. */
export function legacyRange(specs: readonly KeySpec[] | undefined): { first: number; last: number; step: number; movable: boolean } {
  let first = 0;
  let last = 0;
  let step = 0;
  let movable = false;
  for (const ks of specs ?? []) {
    if (!("index" in ks.begin) || !("lastKey" in ks.find)) {
      movable = true;
      continue;
    }
    const pos = ks.begin.index;
    const end = ks.find.lastKey < 0 ? ks.find.lastKey : pos + ks.find.lastKey;
    if (first === 0) {
      first = pos;
      last = end;
      step = ks.find.keyStep;
    } else if (ks.find.keyStep === 1 && step === 1 && last >= 0 && pos === last + 1) {
      last = end; // contiguous: COPY src dst is 1..2
    } else movable = true;
  }
  return { first, last, step, movable };
}
