// Trap -> AssemblyScript source position. The running module is instrumented, so its byte offsets
// are not the ones the source map describes. On a trap we replay the same call on the original
// module, deterministically (same store, same arguments, the same time/random/http answers from
// the tape), and map the offset of the trapping frame through the source map.
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import { CallContext, writeInput, type CallEnv } from "./call.js";
import { GuestMemory } from "./abi/guest-memory.js";
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

/** A context that answers from the tape and logs nowhere. */
class ReplayContext extends CallContext {
  constructor(fn: string, env: CallEnv) {
    super(fn, { ...env, onLog: undefined, recordHostCalls: false });
  }
  override log(): void {}
}

export function locateTrap(
  prepared: PreparedModule,
  map: SourceMapIndex,
  entry: string,
  args: readonly CallArg[],
  tape: RecordedAnswers,
  env: CallEnv,
  timeoutMs: number,
): string | null {
  const ctx = new ReplayContext(entry, env);
  try {
    ctx.deadline.begin(timeoutMs);
    const instance = new WebAssembly.Instance(prepared.original, ctx.imports(0x10000));
    const ex = instance.exports as Record<string, any>;
    ctx.mem = new GuestMemory(ex.memory, entry, ex.ferrite_alloc);
    ctx.begin(args, false, 0x7fffffff, false, tape);
    const [ptr, len] = writeInput(ctx, args);
    ex[entry](ptr, len);
    return null; // no trap this time: nothing to map
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError) || typeof e.stack !== "string") return null;
    const positions = [...e.stack.matchAll(/wasm-function\[\d+\]:0x([0-9a-f]+)/g)]
      .map((m) => map.position(parseInt(m[1], 16)))
      .filter((p): p is { source: string; text: string } => p !== null);
    const own = positions.find((p) => !p.source.startsWith("~lib/"));
    return (own ?? positions[0])?.text ?? null;
  }
}
