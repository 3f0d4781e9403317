// The ABI report of one module, from any language: size, imports, exports, the entry WASM.CALL
// runs, and the capabilities its imports need against those granted. The checks are the
// runtime's own (prepareModule, then a real load), so every message matches the server's.
import { gzipSync } from "node:zlib";
import { CAPABILITIES, createRuntime, parseCapabilities, type Capability } from "../../runtime-sim/index.js";
import { DiskCache, HOST_BY_NAME, prepareModule, WASM_PAGE } from "../../runtime-sim/host.js";

export interface Problem {
  level: "error" | "warning";
  /** The runtime's error code (ERR_IMPORT, ...) or the CLI's (ERR_CAPABILITY_MISSING, ...). */
  code: string;
  message: string;
  fix: string | null;
}

export interface CapabilityReport {
  /** Capabilities the module's imports need. */
  needed: Capability[];
  /** For each needed capability, the imports that need it. */
  neededBy: Partial<Record<Capability, string[]>>;
  /** What was granted, or null when nothing was said (check without --capabilities). */
  granted: Capability[] | null;
  /** Needed but not granted: the call fails the moment it uses one. */
  missing: Capability[];
  /** Granted but never used: least privilege says remove them. */
  unused: Capability[];
}

export interface AbiReport {
  /** The function name the checks used (WASM.LOAD name). */
  name: string;
  ok: boolean;
  size: { raw: number; gzip: number };
  imports: string[];
  exports: string[];
  /** Exports shaped like an entry, (i32, i32) -> i32. */
  entries: string[];
  /** The export WASM.CALL name runs, when the module loads. */
  entry: string | null;
  memory: { initialBytes: number; maxBytes: number | null } | null;
  /** "snapshot" (memory restored after each call) or "fresh" (a new instance per call, slower). */
  isolation: string | null;
  capabilities: CapabilityReport;
  problems: Problem[];
}

export interface ReportOptions {
  /** The name it would be loaded under; picks the entry (ABI v1). */
  name: string;
  entry?: string;
  /** Granted capabilities; omit to only list what the module needs. */
  capabilities?: readonly (Capability | "all")[];
  /** Where the grant comes from, for messages: "functions.validate.capabilities in ferrite.toml". */
  grantSource?: string;
  memory?: string | number;
  timeoutMs?: number;
  /** How the user picks the entry where they are, for the fix of an entry problem. */
  entryHint?: string;
}

export async function analyzeModule(bytes: Uint8Array, options: ReportOptions): Promise<AbiReport> {
  const problems: Problem[] = [];
  const listing = listModule(bytes);
  const report: AbiReport = {
    name: options.name,
    ok: false,
    size: { raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength },
    imports: listing.imports,
    exports: listing.exports,
    entries: [],
    entry: null,
    memory: null,
    isolation: null,
    capabilities: capabilityReport(listing.imports, options, problems),
    problems,
  };

  try {
    // Cached on disk so the next call skips instrumenting; inline: a build has binaryen loaded already.
    const prepared = await prepareModule(bytes, { cache: DiskCache.locate(), inline: true });
    const { info } = prepared;
    report.entries = info.entries;
    report.memory = { initialBytes: info.memory.initialPages * WASM_PAGE, maxBytes: info.memory.maxPages === null ? null : info.memory.maxPages * WASM_PAGE };
    report.isolation = prepared.report.isolation;
    if (prepared.report.freshReason) {
      problems.push({ level: "warning", code: "ERR_FRESH_INSTANCES", message: `every call needs a fresh instance (${prepared.report.freshReason}), which makes calls slower`, fix: null });
    }
    // A real load under the given settings: entry choice, initial memory, start-up.
    const rt = createRuntime({ defaults: { capabilities: [] } });
    const loaded = await rt.load(options.name, bytes, {
      entry: options.entry,
      capabilities: [],
      memory: options.memory,
      timeoutMs: options.timeoutMs,
    });
    report.entry = loaded.entry;
  } catch (e) {
    problems.unshift(runtimeProblem(e, options));
  }
  if (listing.imports.includes("env.abort")) {
    problems.push({
      level: "warning",
      code: "ERR_ABORT_IMPORT",
      message: "the module imports env.abort (AssemblyScript's default); the runtime accepts it, but failures then carry less detail",
      fix: "build with the ferrite-wasm SDK (ferrite-wasm build), which reports aborts through ferrite_error with file:line",
    });
  }
  report.ok = !problems.some((p) => p.level === "error");
  return report;
}

/** Imports and exports straight from V8, so even a module the runtime refuses can be described. */
function listModule(bytes: Uint8Array): { imports: string[]; exports: string[] } {
  try {
    const mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return {
      imports: WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`),
      exports: WebAssembly.Module.exports(mod).map((e) => e.name),
    };
  } catch {
    return { imports: [], exports: [] };
  }
}

function capabilityReport(imports: readonly string[], options: ReportOptions, problems: Problem[]): CapabilityReport {
  const neededBy: Partial<Record<Capability, string[]>> = {};
  for (const label of imports) {
    if (!label.startsWith("env.")) continue;
    const cap = HOST_BY_NAME.get(label.slice(4))?.capability;
    if (cap) (neededBy[cap] ??= []).push(label);
  }
  const needed = CAPABILITIES.filter((c) => neededBy[c]);
  if (!options.capabilities) return { needed, neededBy, granted: null, missing: [], unused: [] };

  const source = options.grantSource ?? "the granted capabilities";
  let granted: Capability[];
  try {
    granted = parseCapabilities(options.capabilities);
  } catch (e) {
    problems.push({ level: "error", code: "ERR_CAPABILITY_UNKNOWN", message: (e as Error).message, fix: `use ${[...CAPABILITIES, "all"].join(", ")} in ${source}` });
    return { needed, neededBy, granted: [], missing: [], unused: [] };
  }
  const missing = needed.filter((c) => !granted.includes(c));
  const unused = granted.filter((c) => !needed.includes(c));
  for (const cap of missing) {
    problems.push({
      level: "error",
      code: "ERR_CAPABILITY_MISSING",
      message: `the module needs capability '${cap}' (it imports ${neededBy[cap]!.join(", ")}) but ${source} does not grant it; every call that uses it would fail with "lacks capability '${cap}'"`,
      fix: `add "${cap}" to ${source}`,
    });
  }
  const grantsAll = options.capabilities.some((c) => c.toLowerCase() === "all");
  if (grantsAll && unused.length > 0) {
    problems.push({
      level: "warning",
      code: "ERR_CAPABILITY_UNUSED",
      message: `${source} grants all capabilities, ${needed.length ? `but the module only needs ${needed.join(", ")}` : "but the module needs none"}`,
      fix: source.startsWith("--") ? `pass ${source} "${needed.join(",")}"` : `replace "all" with ${JSON.stringify(needed)} in ${source}`,
    });
  } else {
    for (const cap of unused) {
      problems.push({
        level: "warning",
        code: "ERR_CAPABILITY_UNUSED",
        message: `${source} grants '${cap}', but the module never uses it (it imports no ${importsOf(cap).join(" or ")})`,
        fix: `remove "${cap}" from ${source} (least privilege)`,
      });
    }
  }
  return { needed, neededBy, granted, missing, unused };
}

function importsOf(cap: Capability): string[] {
  return [...HOST_BY_NAME.values()].filter((h) => h.capability === cap).map((h) => h.name);
}

/** A load failure from the runtime, with its message as the server would reply it. */
function runtimeProblem(e: unknown, options: ReportOptions): Problem {
  const err = e as { code?: string; message?: string };
  const message = err.message ?? String(e);
  return { level: "error", code: err.code ?? "ERR_INVALID_MODULE", message, fix: fixFor(err.code, message, options) };
}

/** The runtime's messages say what the module must do; this adds the step on the user's side. */
function fixFor(code: string | undefined, message: string, options: ReportOptions): string | null {
  switch (code) {
    case "ERR_IMPORT":
      return "remove that import from the source, or use the ABI v1 host function that does the job (docs/abi.md lists them)";
    case "ERR_MEMORY_INITIAL":
      return "raise the memory limit to at least the module's initial memory, or build with less initial memory";
    case "ERR_ENTRY":
      // Choosing among entries is the user's side; a module with no entry must change itself.
      return /several entry|no export '/.test(message) ? options.entryHint ?? null : null;
    default:
      return null;
  }
}
