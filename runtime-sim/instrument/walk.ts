// The one walk over a module's code. Each pass (features, isolation, memory limit, deadline) adds
// its module-level pieces, then sees every expression of every defined function, children first,
// and may replace it; finally it adds its own functions. Passes act on disjoint expression kinds,
// and each is told the kind the expression had before any pass replaced it.
import { FerriteError } from "../errors.js";
import type { BinaryenApi, ExprRef, FuncRef, Kind, Module, Type } from "./binaryen.js";

/** The import module of everything the instrumentation imports (refuel, oom, the page limit). */
export const HOST_MODULE = "__ferrite";

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
  /**
   * [start, end) byte ranges of memory that active data segments fill at instantiation; null when
   * a segment's offset is not a constant (the snapshot then copies all of memory).
   */
  dataRanges: Array<[number, number]> | null;
}

/** What a pass sees of the module. */
export interface ModuleEditor {
  readonly api: BinaryenApi;
  readonly mod: Module;
  /** The internal name of the one memory. */
  readonly memory: string;
  /** The module's bytes as loaded. */
  readonly bytes: Uint8Array;
  readonly report: InstrumentReport;
  /** Names of imported functions (host calls). */
  readonly imports: ReadonlySet<string>;
  /** Statements `__ferrite_restore` runs after every call, besides restoring the globals. */
  readonly resets: ExprRef[];
  /** The module cannot be reset in place: every call gets a new instance. */
  fresh(why: string): void;
}

/** What a pass sees of one function while it is walked. */
export interface FunctionEditor {
  readonly name: string;
  readonly func: FuncRef;
  readonly body: ExprRef;
  /** A new i32 (or `type`) local. */
  local(type?: Type): number;
  /** Runs `before` after `value` is computed and keeps the value: block { t = value; before; after; t }. */
  keep(value: ExprRef, before: ExprRef[], after?: ExprRef[]): ExprRef;
  /** A local of `type` shared within the function, for values set and read back at once. */
  temp(type: Type): number;
}

export interface FunctionHooks {
  /** Before the children (pre-order); also sees kinds the walk cannot visit, so it may refuse them first. */
  enter?(e: ExprRef, kind: string): void;
  /** After the children, which are already replaced; returns the expression's replacement. */
  leave?(e: ExprRef, kind: Kind): ExprRef;
  /** The whole walked body; returns the function's new body. */
  body?(body: ExprRef): ExprRef;
}

export interface Pass {
  /** Globals and imports, before any function is walked. */
  setup?(m: ModuleEditor): void;
  /** Hooks for one function, or null to leave it alone. */
  visit?(f: FunctionEditor, m: ModuleEditor): FunctionHooks | null;
  /** Functions and exports of its own, after the walk. */
  finish?(m: ModuleEditor): void;
}

/** Runs `passes` over every defined function of `mod` in one walk. */
export function walk(api: BinaryenApi, mod: Module, memory: string, bytes: Uint8Array, passes: readonly Pass[]): InstrumentReport {
  const { b } = api;
  const report: InstrumentReport = { isolation: "snapshot", freshReason: null, functions: 0, loops: 0, stores: 0, grows: 0, mutableGlobals: 0, dataRanges: null };
  const funcs = api.functions(mod);
  const imports = new Set<string>();
  for (const f of funcs) {
    const info = b.getFunctionInfo(f);
    if (info.module) imports.add(info.name);
  }
  const m: ModuleEditor = {
    api,
    mod,
    memory,
    bytes,
    report,
    imports,
    resets: [],
    fresh(why) {
      report.isolation = "fresh";
      report.freshReason ??= why;
    },
  };
  for (const p of passes) p.setup?.(m);
  // Errors name a function as users know it: its export name, else its name in the module.
  const exported = new Map<string, string>();
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = b.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === b.ExternalFunction && !exported.has(e.value)) exported.set(e.value, e.name);
  }

  const single = new Set<number>([b.none, b.i32, b.i64, b.f32, b.f64, b.v128, b.unreachable]);
  for (const func of funcs) {
    const info = b.getFunctionInfo(func);
    if (info.module) continue; // an import: no body
    report.functions++;
    const temps = new Map<number, number>();
    const label = exported.get(info.name) ?? info.name;
    const f: FunctionEditor = {
      name: label,
      func,
      body: info.body,
      local: (type = b.i32) => api.addVar(func, type),
      temp(type) {
        let t = temps.get(type);
        if (t === undefined) temps.set(type, (t = api.addVar(func, type)));
        return t;
      },
      keep(value, before, after = []) {
        const type = b.getExpressionType(value);
        if (!single.has(type)) throw multiValue(label);
        if (type === b.none) return mod.block(null, [value, ...before, ...after]);
        if (type === b.unreachable) return mod.block(null, [...before, value]);
        const t = f.temp(type);
        return mod.block(null, [mod.local.set(t, value), ...before, ...after, mod.local.get(t, type)], type);
      },
    };
    const hooks = passes.map((p) => p.visit?.(f, m) ?? null).filter((h): h is FunctionHooks => h !== null);
    const enters = hooks.filter((h) => h.enter);
    const leaves = hooks.filter((h) => h.leave);
    const visit = (e: ExprRef): ExprRef => {
      const name = api.kindName(e);
      for (const h of enters) h.enter!(e, name);
      if (!api.isVisited(name)) throw unsupported(name, label);
      const kind: Kind = name;
      api.eachChild(kind, e, visit);
      let out = e;
      for (const h of leaves) out = h.leave!(out, kind);
      return out;
    };
    let body = visit(info.body);
    for (const h of hooks) if (h.body) body = h.body(body);
    api.setBody(func, body);
  }
  for (const p of passes) p.finish?.(m);
  return report;
}

export function multiValue(fn: string): FerriteError {
  return new FerriteError("ERR_UNSUPPORTED", `the module uses multi-value results (in function '${fn}'), which ABI v1 does not allow; build without multi-value`, null, { function: fn });
}

function unsupported(kind: string, fn: string): FerriteError {
  return new FerriteError(
    "ERR_UNSUPPORTED",
    `the module uses the instruction ${kind} (in function '${fn}'), which the runtime does not support; ABI v1 accepts core wasm with bulk memory, sign extension, mutable globals and non-trapping float-to-int`,
    null,
    { instruction: kind, function: fn },
  );
}

