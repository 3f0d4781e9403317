// A typed view of binaryen.js for the instrumentation passes. binaryen's index.d.ts leaves out the
// expression wrappers (binaryen.Loop.getBody, ...) and a few C entry points; this file is the one
// place that reaches them, each checked once when binaryen loads, so the passes never see `any`.
import type binaryenType from "binaryen";

export type Binaryen = typeof binaryenType;
export type Module = binaryenType.Module;
export type ExprRef = binaryenType.ExpressionRef;
export type FuncRef = binaryenType.FunctionRef;
export type Type = binaryenType.Type;

/** The expression kinds the walk can visit, with the fields that hold their children. */
const CHILD_FIELDS = {
  Block: ["*Child"],
  If: ["Condition", "IfTrue", "IfFalse"],
  Loop: ["Body"],
  Break: ["Value", "Condition"],
  Switch: ["Value", "Condition"],
  Call: ["*Operand"],
  CallIndirect: ["*Operand", "Target"],
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
  TupleMake: ["*Operand"],
  TupleExtract: ["Tuple"],
} as const;

/** An expression kind the walk visits. */
export type Kind = keyof typeof CHILD_FIELDS;
/** Every field name above, for the typed accessors below. */
type FieldName = Exclude<(typeof CHILD_FIELDS)[Kind][number], `*${string}`>;

type Getter = (e: ExprRef) => ExprRef;
type Setter = (e: ExprRef, value: ExprRef) => void;
interface Field {
  get: Getter;
  set: Setter;
}
interface ListField {
  count: (e: ExprRef) => number;
  get: (e: ExprRef, i: number) => ExprRef;
  set: (e: ExprRef, i: number, value: ExprRef) => void;
}
type Children = Array<Field | ListField>;

/** What the expression getters of binaryen.js look like at run time. */
type Wrapper = Record<string, unknown>;

function fn<T>(owner: Wrapper, name: string, where: string): T {
  const f = owner[name];
  if (typeof f !== "function") throw new Error(`binaryen.js has no ${where}.${name}; the installed binaryen does not match the one ferrite-wasm was built for`);
  return f as T;
}

/** binaryen with typed access to what the passes need. One per loaded copy of binaryen. */
export class BinaryenApi {
  readonly b: Binaryen;
  readonly #kinds = new Map<number, string>();
  readonly #children = new Map<string, Children>();
  readonly #fields = new Map<string, Field>();
  readonly #addVar: (func: FuncRef, type: Type) => number;
  readonly #setBody: (func: FuncRef, body: ExprRef) => void;
  readonly #isReturn = new Map<string, (e: ExprRef) => boolean>();
  readonly #callTarget: (e: ExprRef) => string;
  readonly #storeBytes: Map<string, (e: ExprRef) => number>;
  readonly #storeOffset: Map<string, (e: ExprRef) => number>;

  constructor(b: Binaryen) {
    this.b = b;
    const all = b as unknown as Wrapper;
    for (const [key, value] of Object.entries(all)) {
      if (typeof value === "number" && key.endsWith("Id") && key !== "InvalidId") this.#kinds.set(value, key.slice(0, -2));
    }
    for (const [kind, fields] of Object.entries(CHILD_FIELDS)) {
      const w = all[kind] as Wrapper;
      const children: Children = [];
      for (const field of fields as readonly string[]) {
        if (field.startsWith("*")) {
          const item = field.slice(1);
          children.push({
            count: fn(w, `getNum${item === "Child" ? "Children" : `${item}s`}`, kind),
            get: fn(w, `get${item}At`, kind),
            set: fn(w, `set${item}At`, kind),
          });
        } else {
          const f: Field = { get: fn(w, `get${field}`, kind), set: fn(w, `set${field}`, kind) };
          children.push(f);
          this.#fields.set(`${kind}.${field}`, f);
        }
      }
      this.#children.set(kind, children);
    }
    this.#addVar = fn(all, "_BinaryenFunctionAddVar", "binaryen");
    this.#setBody = fn(all.Function as Wrapper, "setBody", "Function");
    for (const kind of ["Call", "CallIndirect"]) this.#isReturn.set(kind, fn(all[kind] as Wrapper, "isReturn", kind));
    this.#callTarget = fn(all.Call as Wrapper, "getTarget", "Call");
    this.#storeBytes = new Map();
    this.#storeOffset = new Map();
    for (const kind of ["Store", "AtomicRMW", "AtomicCmpxchg"]) {
      this.#storeBytes.set(kind, fn(all[kind] as Wrapper, "getBytes", kind));
      this.#storeOffset.set(kind, fn(all[kind] as Wrapper, "getOffset", kind));
    }
  }

  /** The kind's name ("Loop", "SIMDShuffle", ...), also for kinds the walk does not visit. */
  kindName(e: ExprRef): string {
    const id = this.b.getExpressionId(e);
    return this.#kinds.get(id) ?? `#${id}`;
  }

  isVisited(kind: string): kind is Kind {
    return this.#children.has(kind);
  }

  type(e: ExprRef): Type {
    return this.b.getExpressionType(e);
  }

  /** Visits each child in order; a different returned ref replaces it. */
  eachChild(kind: Kind, e: ExprRef, visit: (child: ExprRef) => ExprRef): void {
    for (const c of this.#children.get(kind)!) {
      if ("count" in c) {
        const n = c.count(e);
        for (let i = 0; i < n; i++) {
          const child = c.get(e, i);
          const next = visit(child);
          if (next !== child) c.set(e, i, next);
        }
      } else {
        const child = c.get(e);
        if (!child) continue;
        const next = visit(child);
        if (next !== child) c.set(e, next);
      }
    }
  }

  get<K extends Kind>(kind: K, field: FieldName & (typeof CHILD_FIELDS)[K][number], e: ExprRef): ExprRef {
    return this.#fields.get(`${kind}.${field}`)!.get(e);
  }

  set<K extends Kind>(kind: K, field: FieldName & (typeof CHILD_FIELDS)[K][number], e: ExprRef, value: ExprRef): void {
    this.#fields.get(`${kind}.${field}`)!.set(e, value);
  }

  /** A return_call / return_call_indirect. */
  isReturnCall(kind: "Call" | "CallIndirect", e: ExprRef): boolean {
    return this.#isReturn.get(kind)!(e);
  }

  callTarget(e: ExprRef): string {
    return this.#callTarget(e);
  }

  /** Bytes a store-like expression writes, and its constant offset. */
  storeBytes(kind: "Store" | "AtomicRMW" | "AtomicCmpxchg", e: ExprRef): number {
    return this.#storeBytes.get(kind)!(e);
  }

  storeOffset(kind: "Store" | "AtomicRMW" | "AtomicCmpxchg", e: ExprRef): number {
    return this.#storeOffset.get(kind)!(e);
  }

  /** A new local of `type` in `func`; returns its index. */
  addVar(func: FuncRef, type: Type): number {
    return this.#addVar(func, type);
  }

  /** i64.const: this binaryen takes a bigint, where its index.d.ts says (low, high). */
  i64(mod: Module, value: bigint): ExprRef {
    return (mod.i64.const as unknown as (v: bigint) => ExprRef)(value);
  }

  setBody(func: FuncRef, body: ExprRef): void {
    this.#setBody(func, body);
  }

  functions(mod: Module): FuncRef[] {
    const out: FuncRef[] = [];
    for (let i = 0; i < mod.getNumFunctions(); i++) out.push(mod.getFunctionByIndex(i));
    return out;
  }

  globals(mod: Module): binaryenType.GlobalInfo[] {
    const out: binaryenType.GlobalInfo[] = [];
    for (let i = 0; i < mod.getNumGlobals(); i++) out.push(this.b.getGlobalInfo(mod.getGlobalByIndex(i)));
    return out;
  }
}

let loaded: Promise<BinaryenApi> | null = null;
let generation = 0;

/** binaryen is 13 MB of JS: import it the first time a module is loaded, not at start-up. */
export function loadBinaryen(): Promise<BinaryenApi> {
  if (!loaded) {
    // After an abort binaryen's wasm instance is dead; a query string makes Node evaluate a fresh copy.
    const url = generation === 0 ? "binaryen" : `${import.meta.resolve("binaryen")}?generation=${generation}`;
    loaded = import(url).then((m: { default?: Binaryen }) => new BinaryenApi((m.default ?? m) as Binaryen));
  }
  return loaded;
}

/** binaryen aborted (its process-wide state is gone): the next load starts a new copy. */
export function discardBinaryen(): void {
  loaded = null;
  generation++;
}
