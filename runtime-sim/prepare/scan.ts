// A look at a module's section headers, cheap enough for the host's thread: how many functions it
// defines, so a module past the limit is refused before any real work. Malformed input gives null
// and is left to the full check to describe.

/** Functions the module defines (its function section's count), or null when it cannot be read. */
export function definedFunctions(bytes: Uint8Array): number | null {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  let at = 8;
  const leb = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= bytes.byteLength) return null;
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return null;
  };
  while (at < bytes.byteLength) {
    const id = bytes[at++];
    const size = leb();
    if (size === null || at + size > bytes.byteLength) return null;
    if (id === 3) return leb();
    at += size;
  }
  return 0;
}
