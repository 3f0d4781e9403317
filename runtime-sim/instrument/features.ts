// The features pass: refuses what ABI v1 leaves out, naming the feature, the function and the
// build flag that avoids it. V8 has already validated the module; this is about what v1 promises.
// SIMD is refused: v1 is the MVP plus AssemblyScript's defaults (docs/abi.md#module-requirements).
import type binaryenType from "binaryen";
import { FerriteError } from "../errors.js";
import type { Pass } from "./walk.js";

const REFUSED: Record<string, string> = {
  Try: "exception handling",
  TryTable: "exception handling",
  Throw: "exception handling",
  Rethrow: "exception handling",
  ThrowRef: "exception handling",
  Pop: "exception handling",
  AtomicWait: "threads",
  AtomicNotify: "threads",
};

const SIMD_FIX = "build without SIMD (AssemblyScript: leave out --enable simd; Rust: -C target-feature=-simd128; C: -mno-simd128)";

export function simdRefused(what: string, fn: string | null): FerriteError {
  const where = fn === null ? what : `${what} in function '${fn}'`;
  return new FerriteError("ERR_UNSUPPORTED", `the module uses SIMD (${where}), which ABI v1 does not allow; ${SIMD_FIX}`, null, { feature: "simd", ...(fn === null ? {} : { function: fn }) });
}

export const featuresPass: Pass = {
  setup(m) {
    const { b } = m.api;
    for (const g of m.api.globals(m.mod)) {
      if (g.type === b.v128) throw simdRefused(`the v128 global '${g.name}'`, null);
    }
  },
  visit(f, m) {
    const { b } = m.api;
    const info: binaryenType.FunctionInfo = b.getFunctionInfo(f.func);
    if ([...b.expandType(info.params), ...b.expandType(info.results), ...info.vars].includes(b.v128)) {
      throw simdRefused("a v128 parameter, result or local", f.name);
    }
    return {
      enter(e, kind) {
        if (kind in REFUSED) {
          throw new FerriteError(
            "ERR_UNSUPPORTED",
            `the module uses ${REFUSED[kind]} (${kind} in function '${f.name}'), which ABI v1 does not allow; build without it`,
            null,
            { instruction: kind, function: f.name },
          );
        }
        if (kind.startsWith("SIMD") || b.getExpressionType(e) === b.v128) throw simdRefused(kind, f.name);
      },
    };
  },
};
