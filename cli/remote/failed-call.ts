// A failed call from a server's flight recorder, and the module that ran it: the local build when
// its hash matches (it has the source map, so traps get a file:line), otherwise the server's kept
// copy (WASM.DUMP), checked against the same hash. A function unloaded since is still replayable
// from the record and a matching local build.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FailedCallJSON } from "../../runtime-sim/index.js";
import type { FerriteClient } from "../../server/client.js";
import { findManifest, parseManifest } from "../project/manifest.js";
import { CliError } from "../shared/errors.js";

export interface ReplayModule {
  bytes: Uint8Array;
  sourceMap?: string;
  /** Where it came from, for the user. */
  from: "local build" | "file" | "server";
  /** The file, for a local build or --wasm. */
  path: string | null;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const short = (hash: string) => hash.slice(0, 12);

/** The record of one failed call (by id, or the function's newest). */
export async function fetchFailedCall(client: FerriteClient, url: string, fn: string, id?: string): Promise<FailedCallJSON> {
  const record = await client.wasmFailure(fn, id);
  if (record !== null) return record;
  const kept = await client.wasmFailures(fn);
  if (id !== undefined && kept.length > 0) {
    throw new CliError("ERR_USAGE", `the server at ${url} keeps no failed call '${id}' of '${fn}'`, `replay one it keeps: ${kept.slice(0, 5).map((k) => k.id).join(", ")} (\`ferrite-wasm replay ${fn} --list\`)`);
  }
  throw new CliError(
    "ERR_USAGE",
    `the server at ${url} keeps no failed call of '${fn}'`,
    "failed calls are kept while [server] flight_recorder_max_len is above 0 (default 10); make the call fail again, then replay it",
  );
}

async function readLocal(file: string): Promise<Uint8Array | null> {
  return readFile(file).then((b) => new Uint8Array(b), () => null);
}

/**
 * The module with the record's hash: `--wasm FILE`, else the project's build of the function, else
 * the server's copy of the version that ran.
 */
export async function findModule(record: FailedCallJSON, client: FerriteClient | null, wasmFile?: string): Promise<ReplayModule> {
  if (wasmFile !== undefined) {
    const bytes = await readLocal(wasmFile);
    if (bytes === null) throw new CliError("ERR_FILE", `cannot read ${wasmFile}`, "check the path given to --wasm");
    if (sha256(bytes) !== record.sha256) {
      throw new CliError("ERR_VERIFY", `${wasmFile} is not the module that ran (sha256 ${short(sha256(bytes))}…, the call ran ${short(record.sha256)}…)`, "give the build that was deployed, or leave out --wasm to use the server's copy");
    }
    return { bytes, sourceMap: await readFile(`${wasmFile}.map`, "utf8").catch(() => undefined), from: "file", path: wasmFile };
  }
  const local = await localBuild(record.function);
  if (local && sha256(local.bytes) === record.sha256) return local;
  if (client !== null) {
    for (const version of record.version === null ? [undefined] : [record.version, undefined]) {
      const bytes = await client.wasmDump(record.function, version).catch(() => null);
      if (bytes !== null && sha256(bytes) === record.sha256) {
        const sourceMap = (await client.wasmDumpSourceMap(record.function, version).catch(() => null)) ?? undefined;
        return { bytes: new Uint8Array(bytes), sourceMap, from: "server", path: null };
      }
    }
  }
  const localNote = local ? `the local build ${local.path} is another (sha256 ${short(sha256(local.bytes))}…)` : "there is no local build of it here";
  throw new CliError(
    "ERR_VERIFY",
    `no module with the hash of the one that ran (sha256 ${short(record.sha256)}…): the server no longer keeps it and ${localNote}`,
    `check out the source of version ${record.version ?? "?"} and run \`ferrite-wasm build\`, or pass that module with --wasm`,
  );
}

/** The project's build/<fn>.wasm (and its map), when cwd is inside a project that has the function. */
async function localBuild(fn: string): Promise<ReplayModule | null> {
  const file = findManifest();
  if (file === null) return null;
  let spec;
  try {
    spec = parseManifest(await readFile(file, "utf8"), file).functions.find((f) => f.name === fn);
  } catch {
    return null; // a broken manifest is not this command's business; the server's copy may do
  }
  if (!spec) return null;
  const bytes = await readLocal(spec.wasmPath);
  if (bytes === null) return null;
  const sourceMap = await readFile(`${spec.wasmPath}.map`, "utf8").catch(() => undefined);
  return { bytes, sourceMap, from: "local build", path: path.relative(process.cwd(), spec.wasmPath) || spec.wasmPath };
}
