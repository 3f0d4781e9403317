// Every fixture, built with the SDK and asconfig.json, is a module the ABI v1 host accepts:
// imports only env.ferrite_*, exports memory, ferrite_alloc and its entries, and uses only
// AssemblyScript's default wasm features. No runtime needed: these read the module itself.
import { beforeAll, describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { buildFixture, FIXTURE_ENTRIES } from "../helpers/asc.js";

/** ABI v1 host functions (docs/abi.md). */
const HOST_FUNCTIONS = [
  "ferrite_get", "ferrite_exists", "ferrite_set", "ferrite_del", "ferrite_return", "ferrite_error",
  "ferrite_log", "ferrite_now", "ferrite_random", "ferrite_arg_count", "ferrite_arg", "ferrite_http",
];

/** AssemblyScript's defaults (bulk memory, sign extension, mutable globals, non-trapping f2i); nothing else. */
const FEATURES = {
  mutable_globals: true, sat_float_to_int: true, sign_extension: true, bulk_memory: true,
  exceptions: false, simd: false, threads: false, function_references: false, multi_value: false,
  tail_call: false, reference_types: false, annotations: false, code_metadata: false, gc: false,
  memory64: false, multi_memory: false, extended_const: false, relaxed_simd: false,
};

/** Imports that trap if called: a fixture's start function must not need the host. */
function inertImports(): WebAssembly.Imports {
  const env: Record<string, () => never> = {};
  for (const name of HOST_FUNCTIONS) env[name] = () => { throw new Error(`${name} called during instantiation`); };
  return { env };
}

describe.each(Object.entries(FIXTURE_ENTRIES))("fixture %s", (name, entries) => {
  let wasm: Uint8Array<ArrayBuffer>;
  let mod: WebAssembly.Module;
  beforeAll(async () => {
    wasm = (await buildFixture(name)).wasm;
    mod = new WebAssembly.Module(wasm);
  }, 120_000);

  it("imports only ABI v1 host functions from env", () => {
    for (const imp of WebAssembly.Module.imports(mod)) {
      expect(imp.module).toBe("env");
      expect(imp.kind).toBe("function");
      expect(HOST_FUNCTIONS).toContain(imp.name);
    }
  });

  it("has no abort, seed, trace, Date, console or performance import", () => {
    const names = WebAssembly.Module.imports(mod).map((i) => i.name);
    for (const banned of ["abort", "seed", "trace", "Date.now", "console.log", "performance.now"]) {
      expect(names).not.toContain(banned);
    }
  });

  it("exports memory, ferrite_alloc(size) and its entries (ptr, len)", () => {
    const exports = WebAssembly.Module.exports(mod);
    expect(exports).toContainEqual({ name: "memory", kind: "memory" });
    expect(exports).toContainEqual({ name: "ferrite_alloc", kind: "function" });
    const instance = new WebAssembly.Instance(mod, inertImports());
    expect((instance.exports.ferrite_alloc as (size: number) => number).length).toBe(1);
    for (const entry of entries) {
      expect(exports).toContainEqual({ name: entry, kind: "function" });
      expect((instance.exports[entry] as (p: number, l: number) => number).length).toBe(2);
    }
  });

  it("starts in one 64 KiB page and declares no maximum (the host sets MEMORY)", () => {
    const instance = new WebAssembly.Instance(mod, inertImports());
    expect((instance.exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(65536);
  });

  it("validates with AssemblyScript's default wasm features only", async () => {
    const wabt = await wabtInit();
    const parsed = wabt.readWasm(wasm, { readDebugNames: false, ...FEATURES });
    try {
      expect(() => parsed.validate()).not.toThrow();
    } finally {
      parsed.destroy();
    }
  });
});
