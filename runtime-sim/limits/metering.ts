// Load-time instrumentation with binaryen. One walk over every function adds:
// - fuel: each function entry and loop head subtracts its static cost from a global; when it runs
//   out, the guest calls `__ferrite.refuel`, which checks the wall clock (limits/deadline.ts). This is
//   what stops `while (true) {}` on the main thread.
// - a memory.grow wrapper that refuses growth past the per-function page limit and reports it
//   through `__ferrite.oom`, so the call fails with the memory-limit message, not a bare trap.
// - a dirty range: every store widens [lo, hi), so isolation restores only the bytes a call wrote.
// - save/restore functions for the guest's mutable globals (isolation.ts).
import type binaryenType from "binaryen";
import { FerriteError } from "../errors.js";
import { FUEL_STEP } from "./deadline.js";

type Binaryen = typeof binaryenType;
type Mod = binaryenType.Module;
type Ref = number;

/** The names this instrumentation adds; guests cannot import or export them (validate.ts). */
export const METER = {
  importModule: "__ferrite",
  refuel: "refuel",
  oom: "oom",
  fuel: "__ferrite_fuel",
  lo: "__ferrite_lo",
  hi: "__ferrite_hi",
  maxPages: "__ferrite_max_pages",
  save: "__ferrite_save",
  restore: "__ferrite_restore",
  grow: "__ferrite_grow",
} as const;

export interface InstrumentReport {
  /** "snapshot": state is memory + globals, restored after each call; "fresh": a new instance per call. */
  isolation: "snapshot" | "fresh";
  /** Why a module needs fresh instances (it mutates tables or drops segments). */
  freshReason: string | null;
  functions: number;
  loops: number;
  stores: number;
  grows: number;
  mutableGlobals: number;
}

let loaded: Promise<Binaryen> | null = null;
let generation = 0;
/** binaryen is 13 MB of JS: import it the first time a module is loaded, not at start-up. */
export function loadBinaryen(): Promise<Binaryen> {
  if (!loaded) {
    // After an abort binaryen's wasm instance is dead; a query string makes Node evaluate a fresh copy.
    const url = generation === 0 ? "binaryen" : `${import.meta.resolve("binaryen")}?generation=${generation}`;
    loaded = import(url).then((m) => (m.default ?? m) as Binaryen);
  }
  return loaded;
}

/** binaryen aborted (its process-wide state is gone): the next load starts a new copy. */
export function discardBinaryen(): void {
  loaded = null;
  generation++;
}

const UNSUPPORTED: Record<string, string> = {
  Try: "exception handling",
  TryTable: "exception handling",
  Throw: "exception handling",
  Rethrow: "exception handling",
  ThrowRef: "exception handling",
  Pop: "exception handling",
  AtomicWait: "threads",
  AtomicNotify: "threads",
};

export function instrument(binaryen: Binaryen, mod: Mod, memoryName: string): InstrumentReport {
  const b = binaryen as any; // the expression wrappers (b.Loop, b.Store, ...) are missing from binaryen.d.ts
  const { i32 } = binaryen;
  const report: InstrumentReport = {
    isolation: "snapshot",
    freshReason: null,
    functions: 0,
    loops: 0,
    stores: 0,
    grows: 0,
    mutableGlobals: 0,
  };
  const ids = expressionIds(b);

  mod.addGlobal(METER.fuel, i32, true, mod.i32.const(0));
  mod.addGlobal(METER.lo, i32, true, mod.i32.const(-1));
  mod.addGlobal(METER.hi, i32, true, mod.i32.const(0));
  // The page limit is imported, so one compiled module serves every MEMORY setting.
  mod.addGlobalImport(METER.maxPages, METER.importModule, "max_pages", i32, false);
  mod.addFunctionImport(METER.refuel, METER.importModule, METER.refuel, b.none, i32);
  mod.addFunctionImport(METER.oom, METER.importModule, METER.oom, i32, b.none);

  // Fuel lives in a local of each function: a loop head costs `f -= cost; if (f < 0) f = refuel()`,
  // all in registers. The global holds it across calls: flushed before a call into guest code and
  // at every exit, reloaded after the call. (A global-only counter cost 2.3x on a tight loop.)
  let labels = 0;
  const entryCheck = (cost: number, f: number): Ref =>
    mod.block(null, [
      mod.local.set(f, mod.i32.sub(mod.global.get(METER.fuel, i32), mod.i32.const(cost))),
      mod.if(mod.i32.lt_s(mod.local.get(f, i32), mod.i32.const(0)), mod.local.set(f, mod.call(METER.refuel, [], i32))),
    ]);
  const globalCheck = (cost: number, f: number): Ref =>
    mod.block(null, [
      mod.global.set(METER.fuel, mod.local.tee(f, mod.i32.sub(mod.global.get(METER.fuel, i32), mod.i32.const(cost)), i32)),
      mod.if(mod.i32.lt_s(mod.local.get(f, i32), mod.i32.const(0)), mod.global.set(METER.fuel, mod.call(METER.refuel, [], i32))),
    ]);
  const flush = (f: number): Ref => mod.global.set(METER.fuel, mod.local.get(f, i32));
  const reload = (f: number): Ref => mod.local.set(f, mod.global.get(METER.fuel, i32));
  const imported = new Set<string>();
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = b.getFunctionInfo(mod.getFunctionByIndex(i));
    if (f.module) imported.add(f.name);
  }
  const single = new Set<number>([binaryen.none, binaryen.i32, binaryen.i64, binaryen.f32, binaryen.f64, binaryen.v128, binaryen.unreachable]);

  // Widen [lo, hi) to cover [start, start + extra + len); len is a local index or a constant.
  const touch = (startLocal: number, extra: number, lenLocal: number | null): Ref[] => {
    // A fresh node each use: binaryen expressions may not be shared within a tree.
    const end = () =>
      mod.i32.add(
        mod.local.get(startLocal, i32),
        lenLocal === null ? mod.i32.const(extra) : mod.i32.add(mod.local.get(lenLocal, i32), mod.i32.const(extra)),
      );
    return [
      mod.if(mod.i32.gt_u(end(), mod.global.get(METER.hi, i32)), mod.global.set(METER.hi, end())),
      mod.if(
        mod.i32.lt_u(mod.local.get(startLocal, i32), mod.global.get(METER.lo, i32)),
        mod.global.set(METER.lo, mod.local.get(startLocal, i32)),
      ),
    ];
  };

  const n = mod.getNumFunctions();
  const funcs: number[] = [];
  for (let i = 0; i < n; i++) funcs.push(mod.getFunctionByIndex(i));

  for (const func of funcs) {
    const info = b.getFunctionInfo(func);
    if (info.module) continue; // an import: no body
    report.functions++;
    const newLocal = (): number => (b as any)._BinaryenFunctionAddVar(func, i32) as number;
    let scratch = -1; // one i32 local per function for store pointers (used immediately, never nested)
    // Only functions with loops keep fuel in a local; the others spend the global at entry,
    // so calls between them cost no hand-over (json-as code is mostly small loop-free calls).
    const local = hasLoop(b, ids, info.body);
    const f = newLocal(); // this activation's fuel (or the entry check's scratch)
    const temps = new Map<number, number>(); // one local per value type, set and read back at once
    const temp = (type: number): number => {
      if (!temps.has(type)) temps.set(type, (b as any)._BinaryenFunctionAddVar(func, type) as number);
      return temps.get(type)!;
    };
    // Runs `before` after `value` is computed and keeps the value: block { t = value; before; t }.
    const keep = (value: Ref, before: Ref[], after: Ref[] = []): Ref => {
      const type = binaryen.getExpressionType(value);
      if (!single.has(type)) {
        throw new FerriteError("ERR_UNSUPPORTED", `the module uses multi-value results (in function '${info.name}'), which ABI v1 does not allow; build without multi-value`, null, { function: info.name });
      }
      if (type === binaryen.none) return mod.block(null, [value, ...before, ...after]);
      if (type === binaryen.unreachable) return mod.block(null, [...before, value]);
      const t = temp(type);
      return mod.block(null, [mod.local.set(t, value), ...before, ...after, mod.local.get(t, type)], type);
    };

    const fresh = (why: string) => {
      report.isolation = "fresh";
      report.freshReason ??= why;
    };

    // Returns [replacement, cost of this subtree outside nested loops].
    const walk = (e: Ref): [Ref, number] => {
      const id = b.getExpressionId(e);
      const kind = ids.get(id) ?? `#${id}`;
      if (kind in UNSUPPORTED) {
        throw new FerriteError(
          "ERR_UNSUPPORTED",
          `the module uses ${UNSUPPORTED[kind]} (${kind} in function '${info.name}'), which ABI v1 does not allow; build without it`,
          null,
          { instruction: kind, function: info.name },
        );
      }
      const shape = CHILDREN[kind];
      if (shape === undefined) {
        throw new FerriteError(
          "ERR_UNSUPPORTED",
          `the module uses the instruction ${kind} (in function '${info.name}'), which the runtime does not support; ABI v1 accepts core wasm with bulk memory, SIMD, sign extension and non-trapping float-to-int`,
          null,
          { instruction: kind, function: info.name },
        );
      }
      let cost = 1;
      const W = (b as any)[kind];
      eachChild(b, kind, e, (child) => {
        const [c, cc] = walk(child);
        cost += cc;
        return c;
      });

      switch (kind) {
        case "Loop": {
          // The refuel call sits outside the loop: a call inside it costs V8 its register
          // allocation (2.4x on a tight loop instead of 1.4x). On empty, the loop exits to
          // $refill, refuels and starts again at its head, which is where it was: loops carry
          // their state in locals, and the check is the first thing in the body.
          report.loops++;
          const n = labels++;
          const [refill, retry, exit] = [`__ferrite_refill${n}`, `__ferrite_retry${n}`, `__ferrite_exit${n}`];
          const spend = mod.local.tee(f, mod.i32.sub(mod.local.get(f, i32), mod.i32.const(cost)), i32);
          b.Loop.setBody(e, mod.block(null, [mod.br(refill, mod.i32.lt_s(spend, mod.i32.const(0))), b.Loop.getBody(e)]));
          const type = binaryen.getExpressionType(e);
          const leave =
            type === binaryen.none ? mod.block(refill, [e, mod.br(exit)]) : type === binaryen.unreachable ? mod.block(refill, [e]) : mod.block(refill, [mod.br(exit, 0, e)]);
          const again = mod.loop(retry, mod.block(null, [leave, mod.local.set(f, mod.call(METER.refuel, [], i32)), mod.br(retry)]));
          return [type === binaryen.unreachable ? mod.block(exit, [again]) : mod.block(exit, [again], type), 1]; // each iteration pays for itself
        }
        case "Call":
        case "CallIndirect":
        case "CallRef": {
          if (!local || (kind === "Call" && imported.has(b.Call.getTarget(e)))) return [e, cost]; // host calls don't use fuel
          if (W.isReturn(e)) return [mod.block(null, [flush(f), e]), cost];
          // Operands are computed first, then the fuel is handed over and taken back after the call.
          const type = binaryen.getExpressionType(e);
          if (!single.has(type)) return [keep(e, []), cost]; // throws the multi-value error
          return [mod.block(null, [flush(f), type === binaryen.none ? e : mod.local.set(temp(type), e), reload(f), ...(type === binaryen.none || type === binaryen.unreachable ? [] : [mod.local.get(temp(type), type)])], type === binaryen.none ? binaryen.none : type), cost];
        }
        case "Return": {
          if (!local) return [e, cost];
          const value = b.Return.getValue(e);
          if (!value) return [mod.block(null, [flush(f), e]), cost];
          b.Return.setValue(e, keep(value, [flush(f)]));
          return [e, cost];
        }
        case "MemoryGrow":
          report.grows++;
          return [mod.call(METER.grow, [b.MemoryGrow.getDelta(e)], i32), cost];
        case "Store":
        case "AtomicRMW":
        case "AtomicCmpxchg":
        case "SIMDLoadStoreLane": {
          if (kind === "SIMDLoadStoreLane" && !(b as any)._BinaryenSIMDLoadStoreLaneIsStore(e)) return [e, cost];
          report.stores++;
          if (scratch < 0) scratch = newLocal();
          const bytes = kind === "SIMDLoadStoreLane" ? laneBytes(b, e) : (W.getBytes(e) as number);
          const ptr = W.getPtr(e) as Ref;
          W.setPtr(
            e,
            mod.block(null, [mod.local.set(scratch, ptr), ...touch(scratch, W.getOffset(e) + bytes, null), mod.local.get(scratch, i32)], i32),
          );
          return [e, cost];
        }
        case "MemoryFill":
        case "MemoryCopy":
        case "MemoryInit": {
          // Operands are evaluated in order into fresh locals, then the range is recorded.
          const [, secondGet, secondSet] = BULK[kind];
          const d = newLocal();
          const s = newLocal();
          const x = newLocal();
          const dest = W.getDest(e) as Ref;
          const second = W[secondGet](e) as Ref;
          const size = W.getSize(e) as Ref;
          W.setDest(e, mod.local.get(d, i32));
          W[secondSet](e, mod.local.get(x, i32));
          W.setSize(e, mod.local.get(s, i32));
          report.stores++;
          return [
            mod.block(null, [
              mod.local.set(d, dest),
              mod.local.set(x, second),
              mod.local.set(s, size),
              ...touch(d, 0, s),
              e,
            ]),
            cost,
          ];
        }
        case "DataDrop":
          fresh("it drops data segments (data.drop)");
          return [e, cost];
        case "TableSet":
        case "TableGrow":
          fresh("it changes its table (table.set / table.grow)");
          return [e, cost];
        default:
          return [e, cost];
      }
    };

    const [body, cost] = walk(info.body);
    b.Function.setBody(
      func,
      local ? mod.block(null, [entryCheck(cost, f), keep(body, [flush(f)])]) : mod.block(null, [globalCheck(cost, f), body]),
    );
  }

  addGrowWrapper(b, mod, memoryName);
  report.mutableGlobals = addGlobalSnapshot(b, mod, fresh => {
    report.isolation = "fresh";
    report.freshReason ??= fresh;
  });
  for (const g of [METER.lo, METER.hi]) {
    mod.addFunction(g, b.none, i32, [], mod.global.get(g, i32));
    mod.addFunctionExport(g, g);
  }
  return report;
}

function addGrowWrapper(b: Binaryen, mod: Mod, mem: string): void {
  const { i32 } = b;
  const delta = () => mod.local.get(0, i32);
  const limit = () => mod.global.get(METER.maxPages, i32);
  const refuse = () => mod.block(null, [mod.call(METER.oom, [delta()], b.none), mod.unreachable()]);
  mod.addFunction(
    METER.grow,
    i32,
    i32,
    [i32],
    mod.block(null, [
      mod.if(
        mod.i32.or(mod.i32.gt_u(delta(), limit()), mod.i32.gt_u(mod.i32.add(mod.memory.size(mem), delta()), limit())),
        refuse(),
      ),
      mod.local.set(1, mod.memory.grow(delta(), mem)),
      mod.if(mod.i32.eq(mod.local.get(1, i32), mod.i32.const(-1)), refuse()),
      mod.local.get(1, i32),
    ], i32),
  );
}

// Shadow copies of every mutable global: save after start-up, restore after each call.
function addGlobalSnapshot(b: Binaryen, mod: Mod, fresh: (why: string) => void): number {
  const saves: Ref[] = [];
  const restores: Ref[] = [];
  const ours = new Set<string>(Object.values(METER));
  const count = mod.getNumGlobals();
  const globals: binaryenType.GlobalInfo[] = [];
  for (let i = 0; i < count; i++) globals.push(b.getGlobalInfo(mod.getGlobalByIndex(i)));
  let mutable = 0;
  for (const g of globals) {
    if (!g.mutable || ours.has(g.name) || g.module) continue;
    const zero = zeroOf(b, mod, g.type);
    if (zero === null) {
      fresh(`its global '${g.name}' has a type the snapshot cannot copy`);
      continue;
    }
    mutable++;
    const shadow = `__ferrite_saved_${mutable}`;
    mod.addGlobal(shadow, g.type, true, zero);
    saves.push(mod.global.set(shadow, mod.global.get(g.name, g.type)));
    restores.push(mod.global.set(g.name, mod.global.get(shadow, g.type)));
  }
  restores.push(
    mod.global.set(METER.lo, mod.i32.const(-1)),
    mod.global.set(METER.hi, mod.i32.const(0)),
    mod.global.set(METER.fuel, mod.i32.const(FUEL_STEP)),
  );
  mod.addFunction(METER.save, b.none, b.none, [], mod.block(null, saves.length ? saves : [mod.nop()]));
  mod.addFunction(METER.restore, b.none, b.none, [], mod.block(null, restores));
  mod.addFunctionExport(METER.save, METER.save);
  mod.addFunctionExport(METER.restore, METER.restore);
  return mutable;
}

function zeroOf(b: Binaryen, mod: Mod, type: number): Ref | null {
  if (type === b.i32) return mod.i32.const(0);
  if (type === b.i64) return (mod.i64.const as (v: number) => Ref)(0);
  if (type === b.f32) return mod.f32.const(0);
  if (type === b.f64) return mod.f64.const(0);
  if (type === b.v128) return mod.v128.const(new Array(16).fill(0));
  return null;
}

function laneBytes(b: Binaryen, e: Ref): number {
  const op = (b as any)._BinaryenSIMDLoadStoreLaneGetOp(e) as number;
  const names: Array<[string, number]> = [
    ["Store8LaneVec128", 1],
    ["Store16LaneVec128", 2],
    ["Store32LaneVec128", 4],
    ["Store64LaneVec128", 8],
  ];
  for (const [name, bytes] of names) if ((b as any)[name] === op) return bytes;
  return 16;
}

const BULK: Record<string, [string, string, string]> = {
  MemoryFill: ["Dest", "getValue", "setValue"],
  MemoryCopy: ["Dest", "getSource", "setSource"],
  MemoryInit: ["Dest", "getOffset", "setOffset"],
};

// The expression fields that hold children, per expression kind (binaryen.js wrapper names).
const CHILDREN: Record<string, string[]> = {
  Block: ["*children"],
  If: ["Condition", "IfTrue", "IfFalse"],
  Loop: ["Body"],
  Break: ["Value", "Condition"],
  Switch: ["Value", "Condition"],
  Call: ["*operands"],
  CallIndirect: ["*operands", "Target"],
  LocalGet: [],
  LocalSet: ["Value"],
  GlobalGet: [],
  GlobalSet: ["Value"],
  Load: ["Ptr"],
  Store: ["Ptr", "Value"],
  Const: [],
  Unary: ["Value"],
  Binary: ["Left", "Right"],
  Select: ["IfTrue", "IfFalse", "Condition"],
  Drop: ["Value"],
  Return: ["Value"],
  MemorySize: [],
  MemoryGrow: ["Delta"],
  Nop: [],
  Unreachable: [],
  AtomicRMW: ["Ptr", "Value"],
  AtomicCmpxchg: ["Ptr", "Expected", "Replacement"],
  AtomicFence: [],
  SIMDExtract: ["Vec"],
  SIMDReplace: ["Vec", "Value"],
  SIMDShuffle: ["Left", "Right"],
  SIMDTernary: ["A", "B", "C"],
  SIMDShift: ["Vec", "Shift"],
  SIMDLoad: ["Ptr"],
  SIMDLoadStoreLane: ["Ptr", "Vec"],
  MemoryInit: ["Dest", "Offset", "Size"],
  DataDrop: [],
  MemoryCopy: ["Dest", "Source", "Size"],
  MemoryFill: ["Dest", "Value", "Size"],
  RefNull: [],
  RefIsNull: ["Value"],
  RefFunc: [],
  RefEq: ["Left", "Right"],
  TableGet: ["Index"],
  TableSet: ["Index", "Value"],
  TableSize: [],
  TableGrow: ["Value", "Delta"],
  TupleMake: ["*operands"],
  TupleExtract: ["Tuple"],
};

/** Visits each child of `e` (per CHILDREN) in order; a different returned ref replaces it. */
function eachChild(b: any, kind: string, e: Ref, visit: (child: Ref) => Ref): void {
  const W = b[kind];
  for (const field of CHILDREN[kind] ?? []) {
    if (field === "*children" || field === "*operands") {
      const list = field === "*children" ? "Child" : "Operand";
      const count = W[field === "*children" ? "getNumChildren" : "getNumOperands"](e) as number;
      for (let k = 0; k < count; k++) {
        const child = W[`get${list}At`](e, k) as Ref;
        const c = visit(child);
        if (c !== child) W[`set${list}At`](e, k, c);
      }
      continue;
    }
    const child = W[`get${field}`](e) as Ref;
    if (!child) continue;
    const c = visit(child);
    if (c !== child) W[`set${field}`](e, c);
  }
}

function hasLoop(b: any, ids: Map<number, string>, e: Ref): boolean {
  const kind = ids.get(b.getExpressionId(e)) ?? "";
  if (kind === "Loop") return true;
  let found = false;
  eachChild(b, kind, e, (child) => {
    found ||= hasLoop(b, ids, child);
    return child;
  });
  return found;
}

function expressionIds(b: Binaryen): Map<number, string> {
  const out = new Map<number, string>();
  for (const [key, value] of Object.entries(b)) {
    if (typeof value === "number" && key.endsWith("Id") && key !== "InvalidId") out.set(value, key.slice(0, -2));
  }
  return out;
}
