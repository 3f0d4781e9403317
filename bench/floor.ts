// The honest floor of a call: what calling a guest costs with nothing of the runtime around it.
import binaryen from "binaryen";

/**
 * The honest floor: the same guest called through plain WebAssembly exports. Its mutable globals
 * are exported (no code changes) so the bench can find the allocator's offset (the global that
 * ferrite_alloc moves) and put only that back between calls.
 */
export async function floor(bytes: Uint8Array, entry: string): Promise<(input: string) => Uint8Array | null> {
  const mod = binaryen.readBinaryWithFeatures(bytes, binaryen.Features.All);
  const globals: binaryen.GlobalInfo[] = [];
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const gl = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    if (gl.mutable && !gl.module) globals.push(gl);
  }
  globals.forEach((gl, i) => mod.addGlobalExport(gl.name, `__bench_global${i}`));
  const exported = mod.emitBinary();
  mod.dispose();
  let out: Uint8Array | null = null;
  let view = new Uint8Array(0);
  const env = new Proxy({}, { get: (_t, name) => (name === "ferrite_return" ? (p: number, l: number) => void (out = view.slice(p, p + l)) : () => 0) });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(exported as Uint8Array<ArrayBuffer>), { env } as WebAssembly.Imports);
  const ex = instance.exports as Record<string, unknown>;
  const memory = ex.memory as WebAssembly.Memory;
  const alloc = ex.ferrite_alloc as (n: number) => number;
  const run = ex[entry] as (p: number, l: number) => number;
  const slots = globals.map((_, i) => ex[`__bench_global${i}`] as WebAssembly.Global);
  const before = slots.map((s) => s.value as number);
  alloc(64);
  const offset = slots.find((s, i) => s.value !== before[i]);
  if (!offset) throw new Error(`cannot find the allocator's offset of ${entry}`);
  const start = before[slots.indexOf(offset)];
  offset.value = start;
  const encoder = new TextEncoder();
  view = new Uint8Array(memory.buffer);
  let inputPtr = -1;
  let input = view;
  return (s: string) => {
    offset.value = start;
    const len = Buffer.byteLength(s);
    const ptr = alloc(len);
    if (view.byteLength !== memory.buffer.byteLength) [view, inputPtr] = [new Uint8Array(memory.buffer), -1];
    if (ptr !== inputPtr) [input, inputPtr] = [view.subarray(ptr), ptr];
    encoder.encodeInto(s, input);
    out = null;
    run(ptr, len);
    return out;
  };
}

