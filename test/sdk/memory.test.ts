// ferrite_alloc, the one export the host calls into besides entries: aligned blocks that never
// overlap, and 0 (not a trap) when memory is exhausted. It calls no host function, so these
// call it directly on an instance whose memory is capped at a few pages.
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture } from "../helpers/asc.js";

/** The module with its memory limited to `maxPages` (patches the memory section's limits). */
function withMaxPages(wasm: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const out: number[] = Array.from(wasm.subarray(0, 8));
  let at = 8;
  const readLeb = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = wasm[at++];
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return value >>> 0;
  };
  const leb = (value: number, to: number[]): void => {
    do {
      const byte = value & 0x7f;
      value >>>= 7;
      to.push(value ? byte | 0x80 : byte);
    } while (value);
  };
  while (at < wasm.length) {
    const id = wasm[at++];
    const size = readLeb();
    const start = at;
    if (id === 5) {
      readLeb(); // count: AssemblyScript emits one memory
      readLeb(); // flags
      const min = readLeb();
      const body: number[] = [];
      leb(1, body);
      body.push(1); // has maximum
      leb(min, body);
      leb(maxPages, body);
      out.push(5);
      leb(body.length, out);
      out.push(...body);
    } else {
      out.push(id);
      leb(size, out);
      out.push(...wasm.subarray(start, start + size));
    }
    at = start + size;
  }
  return new Uint8Array(out);
}

function instantiate(wasm: Uint8Array, maxPages: number): { alloc: (size: number) => number; pages: () => number } {
  const mod = new WebAssembly.Module(withMaxPages(wasm, maxPages));
  const instance = new WebAssembly.Instance(mod, { env: new Proxy({}, { get: () => () => 0 }) });
  const memory = instance.exports.memory as WebAssembly.Memory;
  const alloc = instance.exports.ferrite_alloc as (size: number) => number;
  return { alloc: (size) => alloc(size) >>> 0, pages: () => memory.buffer.byteLength / 65536 };
}

describe.each(["echo", "validate"])("ferrite_alloc in %s", (name) => {
  let wasm: Uint8Array<ArrayBuffer>;
  beforeAll(async () => {
    wasm = (await buildFixture(name)).wasm;
  }, 120_000);

  it("returns 8-byte-aligned blocks that do not overlap", () => {
    const { alloc } = instantiate(wasm, 4);
    const blocks = [0, 1, 7, 8, 100, 4096, 30_000].map((size) => ({ size, at: alloc(size) }));
    for (const block of blocks) {
      expect(block.at).not.toBe(0);
      expect(block.at % 8).toBe(0);
    }
    const sorted = [...blocks].sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].at).toBeGreaterThanOrEqual(sorted[i - 1].at + sorted[i - 1].size);
  });

  it("grows memory for a block bigger than what is left", () => {
    const { alloc, pages } = instantiate(wasm, 4);
    expect(alloc(100_000)).not.toBe(0);
    expect(pages()).toBeGreaterThan(1);
  });

  it("returns 0 instead of trapping when memory cannot grow", () => {
    const { alloc, pages } = instantiate(wasm, 3);
    expect(alloc(200_000)).toBe(0);
    let count = 0;
    while (alloc(1000) !== 0) count++;
    expect(count).toBeGreaterThan(10);
    expect(pages()).toBe(3);
  });

  it("returns 0 for negative or oversized requests", () => {
    const { alloc } = instantiate(wasm, 4);
    expect(alloc(-1)).toBe(0);
    expect(alloc(0x7fffffff)).toBe(0);
  });
});
