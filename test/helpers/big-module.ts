// Modules made for the load pipeline's tests and bench. bigModule: a large, valid ABI v1 module built byte by byte, for load-stall tests and the load bench: many
// functions, each a counted loop, a store and filler arithmetic. Its entry `big` returns 0 (nil).
// The `salt` goes into a custom section, so copies differ in hash (no cache hit between them).

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => [...leb(s.length), ...Buffer.from(s, "utf8")];

export interface BigModuleOptions {
  /** Functions besides ferrite_alloc and the entry. */
  functions: number;
  /** Filler instructions (7 bytes each) per function. */
  filler?: number;
  salt?: string;
}

export function bigModule({ functions, filler = 10, salt = "" }: BigModuleOptions): Uint8Array {
  const I32 = 0x7f;
  const types = section(1, vec([[0x60, 1, I32, 1, I32], [0x60, 2, I32, I32, 1, I32]]));
  const funcs = section(3, [...leb(functions + 2), 0, 1, ...new Array<number>(functions).fill(0)]);
  const memory = section(5, vec([[0x00, 1]]));
  const exports = section(7, vec([[...name("memory"), 2, 0], [...name("ferrite_alloc"), 0, 0], [...name("big"), 0, 1]]));
  const body = (...parts: Uint8Array[]): Buffer => {
    const b = Buffer.concat([Buffer.from([0]), ...parts, Buffer.from([0x0b])]); // no locals
    return Buffer.concat([Buffer.from(leb(b.length)), b]);
  };
  const alloc = body(Buffer.from([0x41, 0x80, 0x08])); // i32.const 1024
  const entry = body(Buffer.from([0x41, 0x05, 0x10, 0x02, 0x1a, 0x41, 0x00])); // call the first filler function, return 0
  const worker = body(
    Buffer.from([0x03, 0x40, 0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b]), // loop: x -= 1 while x != 0
    Buffer.from([0x41, 0x10, 0x20, 0, 0x36, 2, 0]), // i32.store (16, x)
    Buffer.alloc(filler * 7).fill(Buffer.from([0x20, 0, 0x41, 7, 0x6c, 0x21, 0])), // x = x * 7, `filler` times
    Buffer.from([0x20, 0]), // return x
  );
  const code = Buffer.concat([Buffer.from(leb(functions + 2)), alloc, entry, ...new Array<Buffer>(functions).fill(worker)]);
  const custom = section(0, [...name("ferrite-test-salt"), ...Buffer.from(salt, "utf8")]);
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...funcs, ...memory, ...exports]), Buffer.from([10, ...leb(code.length)]), code, Buffer.from(custom)]),
  );
}

/** The same module with a custom section appended, so its hash (and cache entry) is its own. */
export function salted(bytes: Uint8Array, salt: string): Uint8Array {
  const body = Buffer.from([...name("salt"), ...Buffer.from(salt, "utf8")]);
  return new Uint8Array(Buffer.concat([bytes, Buffer.from([0, ...leb(body.length)]), body]));
}
