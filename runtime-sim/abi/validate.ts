// Load-time checks of a module against ABI v1: header, imports, exports, entries, memory.
// Each failure names the import or export at fault and what to do about it.
import type binaryenType from "binaryen";
import { FerriteError } from "../errors.js";
import { HOST_BY_NAME, type WasmType } from "./host-table.js";

type Binaryen = typeof binaryenType;

export interface ImportInfo {
  module: string;
  name: string;
  params: WasmType[];
  results: WasmType[];
}

export interface ExportInfo {
  name: string;
  kind: "function" | "memory" | "global" | "table" | "tag";
  params?: string[];
  results?: string[];
}

export interface ModuleInfo {
  imports: ImportInfo[];
  exports: ExportInfo[];
  /** Exports shaped `(i32, i32) -> i32`, not starting with `__` or `ferrite_`. */
  entries: string[];
  memory: { initialPages: number; maxPages: number | null; name: string };
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

const fail = (code: "ERR_INVALID_MODULE" | "ERR_IMPORT" | "ERR_EXPORT" | "ERR_ENTRY" | "ERR_UNSUPPORTED", message: string, data = {}) =>
  new FerriteError(code, message, null, data);

/** Checks the header and that V8 accepts the module; returns the compiled original. */
export function checkBinary(bytes: Uint8Array): WebAssembly.Module {
  if (bytes.byteLength < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const head = Buffer.from(bytes.subarray(0, 8)).toString("hex");
    const hint = /^\s*\(module/.test(Buffer.from(bytes.subarray(0, 64)).toString("utf8"))
      ? "this is WebAssembly text (.wat); convert it with wat2wasm first"
      : "load the .wasm file your compiler produced (asc, cargo build --target wasm32-unknown-unknown, ...)";
    throw fail("ERR_INVALID_MODULE", `not a WebAssembly module: it does not start with \\0asm (first bytes: ${head || "none"}); ${hint}`);
  }
  const version = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  if (version !== 1) {
    throw fail("ERR_INVALID_MODULE", `unsupported WebAssembly binary version ${version}: ABI v1 takes core modules (version 1), not components; build a core wasm32 module`);
  }
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw fail("ERR_INVALID_MODULE", `the module is not valid WebAssembly: ${(e as Error).message}`);
  }
}

/** Imports may only be the ABI's host functions from "env", declared with their exact signatures. */
export function checkImports(compiled: WebAssembly.Module): void {
  for (const imp of WebAssembly.Module.imports(compiled)) {
    const label = `${imp.module}.${imp.name}`;
    if (imp.kind !== "function") {
      throw fail("ERR_IMPORT", `the module imports a ${imp.kind} '${label}'; ABI v1 modules import only host functions from "env" and must define and export their own memory`, { import: label });
    }
    if (imp.module !== "env" || !HOST_BY_NAME.has(imp.name)) {
      throw fail("ERR_IMPORT", `the module imports '${label}', which ABI v1 does not provide; allowed imports are env.ferrite_* (see docs/abi.md)${hintFor(imp.module, imp.name)}`, { import: label });
    }
  }
}

function hintFor(module: string, name: string): string {
  if (module.startsWith("wasi")) return "; build without WASI (e.g. --target wasm32-unknown-unknown)";
  if (name === "seed") return "; Math.random needs a seed: use the SDK's random() (ferrite_random) instead";
  if (name.startsWith("Date")) return "; use the SDK's now() (ferrite_now) instead of Date";
  if (name === "trace") return "; use the SDK's log functions instead of trace()";
  return "";
}

/** Reads what the checks need from the parsed module, and checks signatures, exports and memory. */
export function inspect(b: Binaryen, mod: binaryenType.Module): ModuleInfo {
  const types = (t: number): string[] => b.expandType(t).map((x) => typeName(b, x));
  const imports: ImportInfo[] = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = b.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!f.module) continue;
    const params = types(f.params);
    const results = types(f.results);
    const host = HOST_BY_NAME.get(f.base!)!;
    const want = `(${host.params.join(", ")}) -> ${host.results.length ? host.results.join(", ") : "()"}`;
    const got = `(${params.join(", ")}) -> ${results.length ? results.join(", ") : "()"}`;
    if (want !== got) {
      throw fail("ERR_IMPORT", `the module declares env.${f.base} as ${got}, but ABI v1 defines it as ${want}; fix the declaration (see docs/abi.md)`, { import: `env.${f.base}` });
    }
    imports.push({ module: f.module, name: f.base!, params: params as WasmType[], results: results as WasmType[] });
  }

  const exports: ExportInfo[] = [];
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = b.getExportInfo(mod.getExportByIndex(i));
    const kind = (["function", "table", "memory", "global", "tag"] as const)[e.kind] ?? "function";
    if (e.name.startsWith("__ferrite")) {
      throw fail("ERR_EXPORT", `the module exports '${e.name}'; names starting with __ferrite are reserved for the runtime, rename it`, { export: e.name });
    }
    if (kind === "function") {
      const f = b.getFunctionInfo(mod.getFunction(e.value));
      exports.push({ name: e.name, kind, params: types(f.params), results: types(f.results) });
    } else exports.push({ name: e.name, kind });
  }

  const names = exports.map((e) => e.name).join(", ") || "none";
  const memExport = exports.find((e) => e.name === "memory");
  if (!memExport || memExport.kind !== "memory") {
    throw fail("ERR_EXPORT", `the module does not export its memory as 'memory' (exports: ${names}); export the linear memory under that name`, { export: "memory" });
  }
  const memName = memoryName(b, mod);
  const mem = mod.getMemoryInfo(memName) as { initial: number; max?: number; shared: boolean; is64: boolean };
  if (mem.shared || mem.is64) {
    throw fail("ERR_UNSUPPORTED", `the module's memory is ${mem.shared ? "shared" : "64-bit"}; ABI v1 takes an unshared wasm32 memory`);
  }

  const alloc = exports.find((e) => e.name === "ferrite_alloc");
  if (!alloc || alloc.kind !== "function") {
    throw fail("ERR_EXPORT", `the module does not export ferrite_alloc (exports: ${names}); export ferrite_alloc(size: i32) -> i32 returning an 8-byte-aligned block (the AssemblyScript SDK does this for you)`, { export: "ferrite_alloc" });
  }
  if (sig(alloc) !== "(i32) -> i32") {
    throw fail("ERR_EXPORT", `ferrite_alloc is ${sig(alloc)}, but ABI v1 needs (i32) -> i32`, { export: "ferrite_alloc" });
  }

  const entries = exports
    .filter((e) => e.kind === "function" && !e.name.startsWith("__") && !e.name.startsWith("ferrite_") && sig(e) === "(i32, i32) -> i32")
    .map((e) => e.name);
  return { imports, exports, entries, memory: { initialPages: mem.initial, maxPages: mem.max ?? null, name: memName } };
}

/** Which entry `WASM.CALL name` runs: the export `name`, else the only entry-shaped export. */
export function resolveEntry(info: ModuleInfo, name: string, explicit?: string): string {
  if (explicit !== undefined && !info.exports.some((e) => e.name === explicit && e.kind === "function")) {
    throw fail("ERR_ENTRY", `the module has no export '${explicit}' to use as the entry; its entries are: ${info.entries.join(", ") || "none"}`, { export: explicit });
  }
  if (explicit !== undefined) name = explicit;
  const named = info.exports.find((e) => e.name === name && e.kind === "function");
  if (named) {
    if (sig(named) !== "(i32, i32) -> i32") {
      throw fail("ERR_ENTRY", `the export '${name}' is ${sig(named)}, but an entry must be (input_ptr: i32, input_len: i32) -> i32`, { export: name });
    }
    return name;
  }
  if (info.entries.length === 1) return info.entries[0];
  const fns = info.exports.filter((e) => e.kind === "function").map((e) => `${e.name} ${sig(e)}`);
  if (info.entries.length === 0) {
    throw fail("ERR_ENTRY", `the module has no entry function: export '${name}' (or one other function) as (input_ptr: i32, input_len: i32) -> i32; its function exports are: ${fns.join(", ") || "none"}`, { exports: fns });
  }
  throw fail("ERR_ENTRY", `the module has several entry functions (${info.entries.join(", ")}) and none is named '${name}'; load it under one of those names`, { entries: info.entries });
}

function sig(e: ExportInfo): string {
  return `(${(e.params ?? []).join(", ")}) -> ${e.results?.length ? e.results.join(", ") : "()"}`;
}

function typeName(b: Binaryen, t: number): string {
  const names: Array<[number, string]> = [[b.i32, "i32"], [b.i64, "i64"], [b.f32, "f32"], [b.f64, "f64"], [b.v128, "v128"]];
  return names.find(([v]) => v === t)?.[1] ?? "ref";
}

function memoryName(b: Binaryen, mod: binaryenType.Module): string {
  // binaryen names the memory after its export or index; the export tells us which.
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = b.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === b.ExternalMemory) return e.value;
  }
  return "0";
}

