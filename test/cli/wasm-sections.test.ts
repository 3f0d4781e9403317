// The sourceMappingURL rewrite that points build/<fn>.wasm at build/<fn>.wasm.map.
import { expect, test } from "vitest";
import { setSourceMappingUrl } from "../../cli/build/wasm-sections.js";
import { echoWat } from "../helpers/runtime.js";

const urls = (bytes: Uint8Array) =>
  WebAssembly.Module.customSections(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), "sourceMappingURL").map((s) => {
    const b = new Uint8Array(s);
    return Buffer.from(b.subarray(1, 1 + b[0])).toString();
  });

test("adds the section when there is none, and replaces it in place when there is", () => {
  const once = setSourceMappingUrl(echoWat, "./module.wasm.map");
  expect(urls(once)).toEqual(["./module.wasm.map"]);
  const twice = setSourceMappingUrl(once, "./validate.wasm.map");
  expect(urls(twice)).toEqual(["./validate.wasm.map"]);
  expect(twice.byteLength).toBe(once.byteLength + 2);
  // everything before the section is byte-for-byte the same, so source map offsets still hold
  expect(Buffer.from(twice.subarray(0, echoWat.byteLength)).equals(Buffer.from(echoWat))).toBe(true);
  const exports = (b: Uint8Array) => WebAssembly.Module.exports(new WebAssembly.Module(b as Uint8Array<ArrayBuffer>));
  expect(exports(twice)).toEqual(exports(echoWat));
});
