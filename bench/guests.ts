// SDK-built guests for the benchmarks, compiled once with the toolkit's own asc pipeline and cached
// on disk (by source hash) so repeated bench runs do not pay for asc.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../cli/build/asc.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = path.join(root, "node_modules/.cache/ferrite-wasm/bench");

async function build(file: string, debug = false): Promise<Uint8Array> {
  const source = readFileSync(path.join(root, file), "utf8") + readFileSync(path.join(root, "asconfig.json"), "utf8");
  const key = createHash("sha256").update(source).update(String(debug)).digest("hex").slice(0, 16);
  const cached = path.join(cacheDir, `${path.basename(file, ".ts")}-${key}.wasm`);
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
  const out = await compile({ entry: path.join(root, file), cwd: root, debug, sourceMap: false });
  if (!out.ok || !out.wasm) throw new Error(`cannot build ${file}: ${out.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join("; ")}`);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cached, out.wasm);
  return out.wasm;
}

export async function guests() {
  const echo = await build("test/fixtures/echo.ts");
  const validate = await build("test/fixtures/validate.ts");
  // An unoptimized json-as build is about the size of a real-world function (~30 KB).
  const large = await build("test/fixtures/validate.ts", true);
  return { echo, validate, large, largeName: "validate (debug build, json-as)" };
}
