// Trap -> AssemblyScript source position. The running module is instrumented, so its byte offsets
// are not the ones the source map describes. On a trap we replay the same call on the original
// module, deterministically (same store, same arguments, the same time/random/http answers from
// the tape), and map the offset of the trapping frame through the source map.
import { TraceMap, decodedMappings } from "@jridgewell/trace-mapping";
import { FunctionCalls, type CallEnv, type CallLimits } from "./call.js";
import type { PreparedModule } from "./module.js";
import type { CallArg, RecordedAnswers } from "./options.js";

/** " at ~lib/json-as/assembly/index.ts:479:21" closing an abort message: a position inside a library. */
export const LIBRARY_POSITION = / at ~lib\/\S+:\d+:\d+$/;

/** A mapped position: "assembly/index.ts:12:5", and whether it is in the project's own code. */
export interface MappedPosition {
  source: string;
  text: string;
  own: boolean;
}

export class SourceMapIndex {
  /** The module is one line of bytes: its segments, sorted by byte offset. */
  readonly #segments: readonly number[][];
  readonly #sources: readonly string[];
  /**
   * Per source: the project's own code. Not ~lib/ (libraries, the SDK); and the first source of
   * its name: a transform's generated code (json-as's @json methods) is listed again under the
   * user file's name, with positions in text that file does not have.
   */
  readonly #own: readonly boolean[];
  /** [start, end) byte range of each function body of the module the map describes. */
  readonly #bodies: [number, number][];

  constructor(map: string | object, wasm?: Uint8Array) {
    // Positions are reported as the compiler named the sources (test/fixtures/x.ts, ~lib/...),
    // not resolved against asc's output-relative sourceRoot.
    const raw = typeof map === "string" ? JSON.parse(map) : { ...(map as object) };
    delete raw.sourceRoot;
    const traced = new TraceMap(raw);
    this.#segments = decodedMappings(traced)[0] ?? [];
    this.#sources = traced.sources.map((s) => s ?? "");
    const seen = new Set<string>();
    this.#own = this.#sources.map((s) => {
      const first = !seen.has(s);
      seen.add(s);
      return first && s !== "" && !s.startsWith("~lib/");
    });
    this.#bodies = wasm ? codeBodies(wasm) : [];
  }

  /** The position of a module byte offset (the segment at it, else the last before it), or null. */
  position(offset: number): MappedPosition | null {
    let i = this.#lastAtOrBefore(offset);
    // Several segments at one offset: the first, as trace-mapping's originalPositionFor picks.
    while (i > 0 && this.#segments[i - 1][0] === this.#segments[i][0]) i--;
    return i < 0 ? null : this.#at(this.#segments[i]);
  }

  /**
   * The project's own position last before `offset` within the function body holding it, or
   * null. When library code (JSON.parse, an array access) is inlined into the user's function,
   * the failing instruction maps into the library; the user's line that called it comes before.
   */
  ownPositionBefore(offset: number): string | null {
    const body = this.#bodies.find(([start, end]) => offset >= start && offset < end);
    if (!body) return null;
    for (let i = this.#lastAtOrBefore(offset); i >= 0 && this.#segments[i][0] >= body[0]; i--) {
      const p = this.#at(this.#segments[i]);
      if (p?.own) return p.text;
    }
    return null;
  }

  #at(seg: readonly number[]): MappedPosition | null {
    if (seg.length < 4) return null; // an offset the compiler left unmapped
    const [, sourceIndex, line, column] = seg;
    const source = this.#sources[sourceIndex];
    return source ? { source, text: `${source}:${line + 1}:${column + 1}`, own: this.#own[sourceIndex] } : null;
  }

  /** Index of the last segment whose offset is at most `offset`, or -1. */
  #lastAtOrBefore(offset: number): number {
    let lo = 0;
    let hi = this.#segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#segments[mid][0] <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
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
  const offsets = [...e.stack.matchAll(/wasm-function\[\d+\]:0x([0-9a-f]+)/g)].map((m) => parseInt(m[1], 16));
  const positions = offsets.map((offset) => map.position(offset)).filter((p): p is MappedPosition => p !== null);
  const own = positions.find((p) => p.own);
  if (own) return own.text;
  for (const offset of offsets) {
    const before = map.ownPositionBefore(offset);
    if (before) return before;
  }
  return positions[0]?.text ?? null;
}

function leb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, at];
  }
}

/** The byte range of each function body: the code section (id 10) lists them in order. */
function codeBodies(wasm: Uint8Array): [number, number][] {
  const bodies: [number, number][] = [];
  for (let at = 8; at < wasm.length; ) {
    const [size, start] = leb(wasm, at + 1);
    if (wasm[at] === 10) {
      let [count, p] = leb(wasm, start);
      for (; count > 0; count--) {
        const [len, body] = leb(wasm, p);
        bodies.push([body, body + len]);
        p = body + len;
      }
      break;
    }
    at = start + size;
  }
  return bodies;
}
