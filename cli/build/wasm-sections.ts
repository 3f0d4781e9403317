// Rewrites a module's sourceMappingURL custom section. asc names the map after its virtual output
// ("./module.wasm.map"); beside build/validate.wasm it must say "./validate.wasm.map" so debuggers
// find it. Section layout: id byte, LEB128 size, then for custom sections a name and a payload.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

function customSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = encoder.encode(name);
  const body = [...leb(nameBytes.length), ...nameBytes, ...payload];
  return new Uint8Array([0, ...leb(body.length), ...body]);
}

/** The module with its sourceMappingURL section set to `url` (added when absent). */
export function setSourceMappingUrl(wasm: Uint8Array, url: string): Uint8Array {
  const urlBytes = encoder.encode(url);
  const payload = new Uint8Array([...leb(urlBytes.length), ...urlBytes]);
  const section = customSection("sourceMappingURL", payload);
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  let replaced = false;
  let at = 8;
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at];
    const [size, bodyStart] = readLeb(wasm, at + 1);
    const end = bodyStart + size;
    let isUrl = false;
    if (id === 0) {
      const [nameLen, nameStart] = readLeb(wasm, bodyStart);
      isUrl = decoder.decode(wasm.subarray(nameStart, nameStart + nameLen)) === "sourceMappingURL";
    }
    // Replaced where it stands: source map positions are byte offsets of the sections before it.
    parts.push(isUrl ? section : wasm.subarray(start, end));
    replaced ||= isUrl;
    at = end;
  }
  if (!replaced) parts.push(section);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
