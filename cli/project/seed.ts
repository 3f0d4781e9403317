// --store seed.json: the keys a local call starts with. A JSON object; string values are stored
// as they are, anything else (an order, a user) as its JSON text.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { MemoryStore } from "../../runtime-sim/index.js";
import { CliError } from "../shared/errors.js";

export async function loadSeed(file: string, store: MemoryStore): Promise<number> {
  const where = path.resolve(file);
  const text = await readFile(where, "utf8").catch(() => {
    throw new CliError("ERR_FILE", `cannot read the store seed ${where}`, "check the path given to --store");
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CliError("ERR_FILE", `${file} is not valid JSON: ${(e as Error).message}`, 'write the seed as one JSON object, e.g. {"user:7": {"membership": "premium"}}');
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new CliError("ERR_FILE", `${file} must hold one JSON object of keys and values`, 'e.g. {"order:1": {"user_id": "7", "total": 120}, "counter": "5"}');
  }
  const entries = Object.entries(data as Record<string, unknown>);
  for (const [key, value] of entries) store.set(key, typeof value === "string" ? value : JSON.stringify(value));
  return entries.length;
}
