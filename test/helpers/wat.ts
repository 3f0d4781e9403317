// Compiles WebAssembly text with wabt, for modules written by hand (no SDK, no asc).
import { readFileSync } from "node:fs";
import wabtInit from "wabt";

const wabt = await wabtInit();

export function wat(source: string, name = "module.wat"): Uint8Array {
  const mod = wabt.parseWat(name, source, { bulk_memory: true, mutable_globals: true, sign_extension: true, exceptions: true, simd: true });
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({ write_debug_names: true }).buffer);
  } finally {
    mod.destroy();
  }
}

export function watFile(url: URL): Uint8Array {
  return wat(readFileSync(url, "utf8"), url.pathname);
}
