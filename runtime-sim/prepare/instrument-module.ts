// Checking and instrumenting one module: the heavy part of a load (binaryen), run in the prepare
// worker (prepare/worker.ts) so the host's event loop keeps serving other clients meanwhile.
import { checkBinary, checkImports, inspect, type ModuleInfo } from "../abi/validate.js";
import { discardBinaryen, instrument, loadBinaryen, type InstrumentReport } from "../instrument/index.js";
import { FerriteError } from "../errors.js";

export interface Instrumented {
  info: ModuleInfo;
  report: InstrumentReport;
  /** The instrumented module's bytes (what the disk cache keeps). */
  instrumented: Uint8Array;
  /** The same, compiled. */
  compiled: WebAssembly.Module;
  /** The module as loaded, compiled. */
  original: WebAssembly.Module;
}

export async function checkAndInstrument(bytes: Uint8Array): Promise<Instrumented> {
  const original = checkBinary(bytes); // V8 validates first, so binaryen only sees valid modules
  checkImports(original);
  const api = await loadBinaryen();
  const b = api.b;
  let mod: ReturnType<typeof b.readBinaryWithFeatures>;
  try {
    mod = b.readBinaryWithFeatures(bytes, b.Features.All);
  } catch (e) {
    throw binaryenFailure(e);
  }
  try {
    const info = inspect(b, mod);
    const report = instrument(api, mod, info.memory.name, bytes);
    b.setDebugInfo(true); // keep the name section: stack traces then name the guest's functions
    const out = mod.emitBinary();
    // A copy that owns its buffer, so it can be transferred without touching binaryen's heap.
    const instrumented = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
    let compiled: WebAssembly.Module;
    try {
      compiled = new WebAssembly.Module(instrumented as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new FerriteError("ERR_INVALID_MODULE", `the runtime could not instrument this module (${(e as Error).message}); please report it with the module attached`);
    }
    return { info, report, instrumented, compiled, original };
  } catch (e) {
    throw binaryenFailure(e);
  } finally {
    try {
      mod.dispose();
    } catch {
      // binaryen already aborted: nothing to free
    }
  }
}

function binaryenFailure(e: unknown): unknown {
  if (e instanceof FerriteError) return e;
  if (e instanceof Error && e.message.startsWith("Aborted(")) discardBinaryen();
  return new FerriteError("ERR_INVALID_MODULE", `the runtime could not read this module for instrumentation (${(e as Error).message}); if V8 accepts it, please report it with the module attached`);
}
