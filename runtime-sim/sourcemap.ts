// Trap -> AssemblyScript source position. The running module is instrumented, so its byte offsets
// are not the ones the source map describes. On a trap we replay the same call on the original
// module, deterministically (same store, same arguments, the same time/random/http answers from
// the tape), and map the offset of the trapping frame through the source map.
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { FunctionCalls, type CallEnv, type CallLimits } from "./call.js";
import type { PreparedModule } from "./module.js";
import type { CallArg, RecordedAnswers } from "./options.js";

export class SourceMapIndex {
  readonly #map: TraceMap;
  constructor(map: string | object) {
    // Positions are reported as the compiler named the sources (test/fixtures/x.ts, ~lib/...),
    // not resolved against asc's output-relative sourceRoot.
    const raw = typeof map === "string" ? JSON.parse(map) : { ...(map as object) };
    delete raw.sourceRoot;
    this.#map = new TraceMap(raw);
  }

  /** "assembly/index.ts:12:5" for a module byte offset, or null. */
  position(offset: number): { source: string; text: string } | null {
    const p = originalPositionFor(this.#map, { line: 1, column: offset });
    if (!p.source || p.line === null) return null;
    return { source: p.source, text: `${p.source}:${p.line}:${(p.column ?? 0) + 1}` };
  }
}

export function locateTrap(
  prepared: PreparedModule,
  map: SourceMapIndex,
  entry: string,
  args: readonly CallArg[],
  tape: RecordedAnswers,
  env: CallEnv,
  limits: CallLimits,
): string | null {
  // Every capability, and no log sink: the replay only has to take the same path to the same trap.
  const replay = new FunctionCalls(entry, { ...env, onLog: undefined, recordHostCalls: false }, prepared, entry, { ...limits, capMask: 0x7fffffff, maxPages: 0x10000 });
  const e = replay.replay(prepared.original, args, tape);
  if (!(e instanceof WebAssembly.RuntimeError) || typeof e.stack !== "string") return null; // no trap this time
  const positions = [...e.stack.matchAll(/wasm-function\[\d+\]:0x([0-9a-f]+)/g)]
    .map((m) => map.position(parseInt(m[1], 16)))
    .filter((p): p is { source: string; text: string } => p !== null);
  const own = positions.find((p) => !p.source.startsWith("~lib/"));
  return (own ?? positions[0])?.text ?? null;
}
