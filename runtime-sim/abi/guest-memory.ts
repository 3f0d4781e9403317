// Bounds-checked access to a guest's linear memory. A bad pointer fails the call; it never
// reads or writes outside the guest's memory.
import { errors } from "../errors.js";
import type { CallArg } from "../options.js";

const utf8 = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/**
 * Replies are copied out of guest memory into slabs instead of one new ArrayBuffer each: a slab is
 * only ever appended to, so a reply stays valid however long it is held (like Node's pooled
 * Buffers, a held reply keeps its slab alive: slice() a small one to keep it for long). Bigger
 * replies get their own buffer.
 */
const SLAB_BYTES = 64 * 1024;
const POOLED_MAX = 4096;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function copyOut(mem: Uint8Array, from: number, len: number): Uint8Array {
  if (len > POOLED_MAX) return mem.slice(from, from + len);
  if (slabUsed + len > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, len);
  if (len <= 32) for (let i = 0; i < len; i++) out[i] = mem[from + i];
  else out.set(mem.subarray(from, from + len));
  slabUsed = (slabUsed + len + 7) & ~7;
  return out;
}

export class GuestMemory {
  #memory: WebAssembly.Memory;
  #u8: Uint8Array;
  /** Bytes the host wrote during this call, so isolation restores them too. */
  dirtyLo = 0xffffffff;
  dirtyHi = 0;

  constructor(
    memory: WebAssembly.Memory,
    readonly fn: string,
    /** The guest's `ferrite_alloc` export. */
    readonly alloc: (size: number) => number,
  ) {
    this.#memory = memory;
    this.#u8 = new Uint8Array(memory.buffer);
  }

  /** The current view. memory.grow detaches the old buffer, which empties its views: checking for
   * that is much cheaper than asking the memory for its buffer on every access. */
  get bytes(): Uint8Array {
    if (this.#u8.byteLength === 0) this.#u8 = new Uint8Array(this.#memory.buffer);
    return this.#u8;
  }

  #check(importName: string, ptr: number, len: number): Uint8Array {
    const mem = this.bytes;
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > mem.byteLength) throw errors.bounds(this.fn, importName, p, n, mem.byteLength);
    return mem;
  }

  /** A copy of guest bytes [ptr, ptr + len) that the caller may hold: the call's reply. */
  readReply(importName: string, ptr: number, len: number): Uint8Array {
    const mem = this.#check(importName, ptr, len);
    return copyOut(mem, ptr >>> 0, len >>> 0);
  }

  /** A copy of guest bytes [ptr, ptr + len). */
  read(importName: string, ptr: number, len: number): Uint8Array {
    const mem = this.#check(importName, ptr, len);
    return mem.slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  /** Guest bytes [ptr, ptr + len) as latin1 text (a key, for the key checks), without a copy. */
  readLatin1(importName: string, ptr: number, len: number): string {
    const mem = this.#check(importName, ptr, len);
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (n > 64) return Buffer.from(mem.buffer, mem.byteOffset + p, n).toString("latin1");
    // Short keys: a loop beats a subarray view or a call into Buffer's C++.
    let s = "";
    for (let i = p; i < p + n; i++) s += String.fromCharCode(mem[i]);
    return s;
  }

  readString(importName: string, ptr: number, len: number): string {
    const mem = this.#check(importName, ptr, len);
    return utf8.decode(mem.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
  }

  /** Places `[u32 LE n][n bytes]` in a block from `ferrite_alloc` and returns its pointer. */
  writeBlock(importName: string, data: Uint8Array): number {
    const ptr = this.alloc(4 + data.byteLength) >>> 0;
    if (ptr === 0) throw new OutOfGuestMemory(4 + data.byteLength);
    if (ptr % 8 !== 0) {
      throw errors.abi(this.fn, `ferrite_alloc(${4 + data.byteLength}) returned ${ptr}, which is not 8-byte aligned`);
    }
    const mem = this.bytes;
    if (ptr + 4 + data.byteLength > mem.byteLength) {
      throw errors.abi(this.fn, `ferrite_alloc(${4 + data.byteLength}) returned ${ptr}, past the end of memory (${mem.byteLength} bytes) for ${importName}`);
    }
    const n = data.byteLength;
    mem[ptr] = n & 0xff;
    mem[ptr + 1] = (n >>> 8) & 0xff;
    mem[ptr + 2] = (n >>> 16) & 0xff;
    mem[ptr + 3] = (n >>> 24) & 0xff;
    mem.set(data, ptr + 4);
    if (ptr < this.dirtyLo) this.dirtyLo = ptr;
    if (ptr + 4 + n > this.dirtyHi) this.dirtyHi = ptr + 4 + n;
    return ptr;
  }

  /** Length of the input writeArgs wrote last (a field, not a tuple: no allocation per call). */
  inputLength = 0;

  /** Writes the arguments joined by "\n" straight into a guest block: no intermediate copy.
   * Returns its pointer; its length is `inputLength`. */
  writeArgs(args: readonly CallArg[]): number {
    this.inputLength = 0;
    if (args.length === 0) return 0;
    if (args.length === 1 && typeof args[0] === "string" && args[0].length <= 64) return this.#writeShort(args[0]);
    let len = args.length - 1;
    for (const a of args) len += typeof a === "string" ? Buffer.byteLength(a, "utf8") : a.byteLength;
    const ptr = this.#allocInput(len);
    const bytes = this.bytes;
    let at = ptr;
    for (let i = 0; i < args.length; i++) {
      if (i > 0) bytes[at++] = 10;
      const a = args[i];
      if (typeof a === "string") at += encoder.encodeInto(a, bytes.subarray(at)).written;
      else {
        bytes.set(a, at);
        at += a.byteLength;
      }
    }
    this.inputLength = len;
    return ptr;
  }

  /** One short string, the usual call: ASCII is copied by hand as it is checked, which beats a
   * native call; past the first non-ASCII character it starts over with a block of the UTF-8 size
   * (the first block is simply left unused: memory is reset after the call). */
  #writeShort(a: string): number {
    const n = a.length;
    const ptr = this.#allocInput(n);
    const bytes = this.#u8;
    for (let i = 0; i < n; i++) {
      const c = a.charCodeAt(i);
      if (c >= 0x80) {
        const len = Buffer.byteLength(a, "utf8");
        const p = this.#allocInput(len);
        encoder.encodeInto(a, this.bytes.subarray(p, p + len));
        this.inputLength = len;
        return p;
      }
      bytes[ptr + i] = c;
    }
    this.inputLength = n;
    return ptr;
  }

  /** A block of `len` bytes for the input; afterwards #u8 is the current view. */
  #allocInput(len: number): number {
    const ptr = this.alloc(len) >>> 0;
    if (ptr === 0 && len > 0) throw new OutOfGuestMemory(len);
    if (ptr + len > this.bytes.byteLength) throw errors.abi(this.fn, `ferrite_alloc(${len}) returned ${ptr}, past the end of memory`);
    if (ptr < this.dirtyLo) this.dirtyLo = ptr;
    if (ptr + len > this.dirtyHi) this.dirtyHi = ptr + len;
    return ptr;
  }

  /** Reads a string AssemblyScript's `abort` passes: UTF-16 with its byte length at ptr - 4. */
  readAscString(ptr: number): string | null {
    const p = ptr >>> 0;
    const mem = this.bytes;
    if (p < 4 || p > mem.byteLength) return null;
    const len = mem[p - 4] | (mem[p - 3] << 8) | (mem[p - 2] << 16) | (mem[p - 1] << 24);
    if (len < 0 || p + len > mem.byteLength || len % 2 !== 0) return null;
    return Buffer.from(mem.buffer, mem.byteOffset + p, len).toString("utf16le");
  }
}

/** ferrite_alloc returned 0: the guest is out of memory (under its limit). */
export class OutOfGuestMemory {
  constructor(readonly requested: number) {}
}
