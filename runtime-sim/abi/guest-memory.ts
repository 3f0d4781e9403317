// Bounds-checked access to a guest's linear memory. A bad pointer fails the call; it never
// reads or writes outside the guest's memory.
import { errors } from "../errors.js";

const utf8 = new TextDecoder("utf-8");

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

  /** The current view; memory.grow detaches the old buffer. */
  get bytes(): Uint8Array {
    if (this.#u8.byteLength !== this.#memory.buffer.byteLength) this.#u8 = new Uint8Array(this.#memory.buffer);
    return this.#u8;
  }

  #check(importName: string, ptr: number, len: number): Uint8Array {
    const mem = this.bytes;
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > mem.byteLength) throw errors.bounds(this.fn, importName, p, n, mem.byteLength);
    return mem;
  }

  /** A copy of guest bytes [ptr, ptr + len). */
  read(importName: string, ptr: number, len: number): Uint8Array {
    const mem = this.#check(importName, ptr, len);
    return mem.slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
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
