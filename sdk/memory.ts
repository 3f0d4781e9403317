// Guest side of ABI v1 memory: the ferrite_alloc export, `[u32 LE n][n bytes]` blocks, and
// UTF-8 that is exact both ways (always sized in bytes, never by UTF-16 length).
//
// ferrite_alloc hands out raw heap blocks (heap.alloc), not managed objects: the GC never sees
// them, so none can be collected before the SDK has copied it out, and the SDK frees each block
// as soon as it has read it. heap.alloc aligns to 16 bytes (the ABI asks for 8). The host resets
// memory after every call, so only leaks within one call matter.

/** Largest block AssemblyScript's allocators accept (BLOCK_MAXSIZE, rounded down). */
// @ts-ignore: decorator
@inline const MAX_ALLOC: usize = (1 << 30) - 256;
/** Allocator header plus alignment padding, with room to spare. */
// @ts-ignore: decorator
@inline const ALLOC_SLACK: usize = 64;

/** ABI v1 export: `size` writable bytes, 8-byte aligned; 0 when memory is exhausted. */
export function ferrite_alloc(size: i32): usize {
  if (size < 0 || <usize>size > MAX_ALLOC) return 0;
  if (!reserve(<usize>size)) return 0;
  return heap.alloc(<usize>size);
}

// AssemblyScript's allocators trap when memory.grow fails, and the ABI wants 0 instead: so grow
// first and call the allocator only once the block fits. Exact with the stub runtime our build
// uses (its next block starts where a zero-size probe lands, and freeing the last block hands it
// back); with a TLSF runtime it is a best effort and the allocator itself may still trap.
function reserve(size: usize): bool {
  const probe = heap.alloc(0);
  heap.free(probe);
  const end = probe + size + ALLOC_SLACK;
  if (end < probe) return false; // past 4 GiB
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  return memory.grow(<i32>((end - have + 0xFFFF) >>> 16)) >= 0;
}

// ---- blocks -------------------------------------------------------------------------------

/** Number of data bytes in the block. */
// @ts-ignore: decorator
@inline export function blockLength(block: usize): i32 {
  return load<i32>(block);
}

/** Address of the block's first data byte. */
// @ts-ignore: decorator
@inline export function blockData(block: usize): usize {
  return block + 4;
}

/** Copies `len` bytes at `ptr` into a new Uint8Array. */
// @ts-ignore: decorator
@unsafe export function copyBytes(ptr: usize, len: i32): Uint8Array {
  const out = new Uint8Array(len);
  memory.copy(out.dataStart, ptr, <usize>len);
  return out;
}

/** Bytes of a block the host placed (ferrite_get, ferrite_arg, ferrite_http), then frees it. null for 0. */
// @ts-ignore: decorator
@unsafe export function takeBlockBytes(block: usize): Uint8Array | null {
  if (block == 0) return null;
  const out = copyBytes(blockData(block), blockLength(block));
  heap.free(block);
  return out;
}

/** Text of a block the host placed, decoded as UTF-8, then frees it. null for 0. */
// @ts-ignore: decorator
@unsafe export function takeBlockString(block: usize): string | null {
  if (block == 0) return null;
  const out = decodeUtf8(blockData(block), <usize>blockLength(block));
  heap.free(block);
  return out;
}

/** A raw block holding `s` as UTF-8, to hand to the host. Release it with heap.free, newest first. */
export function stringBlock(s: string): usize {
  const n = utf8Length(s);
  const block = heap.alloc(4 + <usize>n);
  store<i32>(block, n);
  encodeUtf8(s, blockData(block), <usize>n);
  return block;
}

// ---- UTF-8 --------------------------------------------------------------------------------
// Lone surrogates are written as U+FFFD and invalid input bytes read as U+FFFD, exactly as the
// host's TextEncoder / TextDecoder do, so text survives a round trip through the host unchanged.

/** Exact UTF-8 length of `s` in bytes. */
export function utf8Length(s: string): i32 {
  const src = changetype<usize>(s);
  const units = <usize>s.length;
  let bytes: i32 = 0;
  let i: usize = 0;
  while (i < units) {
    const c = <u32>load<u16>(src + (i << 1));
    i++;
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xD800 && c < 0xDC00 && i < units && (<u32>load<u16>(src + (i << 1)) & 0xFC00) == 0xDC00) {
      bytes += 4; // surrogate pair: one code point
      i++;
    } else bytes += 3; // BMP, or a lone surrogate written as U+FFFD
  }
  return bytes;
}

/** Writes `s` as UTF-8 at `dst`, whole characters only, at most `cap` bytes; returns bytes written. */
// @ts-ignore: decorator
@unsafe export function encodeUtf8(s: string, dst: usize, cap: usize): usize {
  const src = changetype<usize>(s);
  const units = <usize>s.length;
  let out: usize = 0;
  let i: usize = 0;
  while (i < units) {
    let c = <u32>load<u16>(src + (i << 1));
    let width: usize = 1;
    if ((c & 0xF800) == 0xD800) {
      const next = i + 1 < units ? <u32>load<u16>(src + ((i + 1) << 1)) : 0;
      if (c < 0xDC00 && (next & 0xFC00) == 0xDC00) {
        c = 0x10000 + ((c - 0xD800) << 10) + (next - 0xDC00);
        width = 2;
      } else c = 0xFFFD;
    }
    const need: usize = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (out + need > cap) break;
    const p = dst + out;
    if (need == 1) {
      store<u8>(p, c);
    } else if (need == 2) {
      store<u8>(p, 0xC0 | (c >> 6));
      store<u8>(p, 0x80 | (c & 0x3F), 1);
    } else if (need == 3) {
      store<u8>(p, 0xE0 | (c >> 12));
      store<u8>(p, 0x80 | ((c >> 6) & 0x3F), 1);
      store<u8>(p, 0x80 | (c & 0x3F), 2);
    } else {
      store<u8>(p, 0xF0 | (c >> 18));
      store<u8>(p, 0x80 | ((c >> 12) & 0x3F), 1);
      store<u8>(p, 0x80 | ((c >> 6) & 0x3F), 2);
      store<u8>(p, 0x80 | (c & 0x3F), 3);
    }
    out += need;
    i += width;
  }
  return out;
}

/** Decodes `len` bytes of UTF-8 at `ptr` (WHATWG rules: each invalid sequence becomes one U+FFFD). */
// @ts-ignore: decorator
@unsafe export function decodeUtf8(ptr: usize, len: usize): string {
  if (len == 0) return "";
  // Every input byte yields at most one UTF-16 unit (4 bytes yield 2), so len units always fit.
  const str = __new(len << 1, idof<String>());
  const end = ptr + len;
  let p = ptr;
  let out = str;
  while (p < end) {
    const b0 = <u32>load<u8>(p++);
    if (b0 < 0x80) {
      store<u16>(out, b0);
      out += 2;
      continue;
    }
    let need = 0;
    let cp: u32 = 0;
    let lo: u32 = 0x80;
    let hi: u32 = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1; cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2; cp = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0; // no overlong forms
      else if (b0 == 0xED) hi = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3; cp = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90; // no overlong forms
      else if (b0 == 0xF4) hi = 0x8F; // nothing past U+10FFFF
    } else {
      store<u16>(out, 0xFFFD); // not a lead byte
      out += 2;
      continue;
    }
    while (need > 0 && p < end) {
      const b = <u32>load<u8>(p);
      if (b < lo || b > hi) break; // leave it: it starts the next character
      cp = (cp << 6) | (b & 0x3F);
      lo = 0x80; hi = 0xBF;
      p++;
      need--;
    }
    if (need > 0) {
      store<u16>(out, 0xFFFD); // a sequence cut short
      out += 2;
    } else if (cp < 0x10000) {
      store<u16>(out, cp);
      out += 2;
    } else {
      cp -= 0x10000;
      store<u16>(out, 0xD800 | (cp >> 10));
      store<u16>(out, 0xDC00 | (cp & 0x3FF), 2);
      out += 4;
    }
  }
  return changetype<string>(__renew(str, out - str));
}
