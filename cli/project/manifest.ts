// ferrite.toml: the one place a project declares its functions (source, entry, capabilities,
// memory, timeout). build, call, test and deploy all read it through loadManifest, and every
// problem is reported with the file, the key and the fix.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { closestMatch } from "leven";
import { z } from "zod";
import { CAPABILITIES, DEFAULTS, parseCapabilities, parseMemoryLimit, parseTimeout, type Capability } from "../../runtime-sim/index.js";
import { FUNCTION_NAME } from "../../runtime-sim/host.js";
import { CliError } from "../shared/errors.js";

export const MANIFEST_FILE = "ferrite.toml";

const CAPABILITY_NAMES = [...CAPABILITIES, "all"] as const;

const FunctionSchema = z.strictObject({
  source: z.string().min(1),
  entry: z.string().min(1).optional(),
  capabilities: z.array(z.string().superRefine(checkCapability)).default([]),
  memory: z
    .union([z.string(), z.number()])
    .refine((v) => validMemory(v), { error: (issue) => `invalid memory limit '${String(issue.input)}'` })
    .default(DEFAULTS.memoryLimit),
  timeout_ms: z.number().refine((ms) => valid(parseTimeout, ms), { error: (issue) => `invalid timeout ${String(issue.input)}` }).default(DEFAULTS.timeoutMs),
  /** KEYS: Redis globs over the keys its host calls may touch. Unset: every key. */
  keys: z.array(z.string().min(1)).min(1).optional(),
});

const BuildSchema = z.strictObject({
  out_dir: z.string().min(1).default("build"),
  optimize: z.enum(["size", "speed"]).default("size"),
});

const ManifestSchema = z.strictObject({
  functions: z.record(z.string(), FunctionSchema),
  build: BuildSchema.default({ out_dir: "build", optimize: "size" }),
});

/** What to write for each key, shown when it is missing or wrong. */
const HINTS: Record<string, string> = {
  functions: 'declare each function as a table, e.g. [functions.validate] with source = "assembly/validate.ts"',
  source: 'set it to the file that exports the function: AssemblyScript (.ts), a file of a cargo crate (.rs) or C (.c), e.g. source = "assembly/validate.ts"',
  entry: 'name the export to run, e.g. entry = "validate" (leave it out to use the function\'s name)',
  capabilities: `list what the function needs, from ${CAPABILITY_NAMES.join(", ")}; e.g. capabilities = ["read"] or [] for none`,
  memory: 'write a size such as "512KB" or "10MB" (powers of 1024; a bare number is bytes)',
  timeout_ms: "write whole milliseconds above 0, e.g. timeout_ms = 1000",
  keys: 'list Redis glob patterns of the keys it may touch, e.g. keys = ["user:*"] (leave it out for every key)',
  build: 'use a [build] table with out_dir = "build" and optimize = "size" or "speed"',
  out_dir: 'name the folder modules are written to, e.g. out_dir = "build"',
  optimize: 'use "size" (smallest module, the default) or "speed"',
};

export interface FunctionSpec {
  name: string;
  /** The export to run; undefined follows the ABI's rule (the export named like the function, else the only entry). */
  entry: string | undefined;
  /** As written in the manifest, relative to the project root. */
  source: string;
  sourcePath: string;
  capabilities: (Capability | "all")[];
  memory: string;
  memoryBytes: number;
  timeoutMs: number;
  /** KEYS patterns; undefined: every key. */
  keys: string[] | undefined;
  /** build/<name>.wasm */
  wasmPath: string;
}

export interface Manifest {
  /** Absolute path of ferrite.toml. */
  path: string;
  /** The project folder (where ferrite.toml is). */
  root: string;
  outDir: string;
  optimize: "size" | "speed";
  functions: FunctionSpec[];
}

function validMemory(value: string | number): boolean {
  return valid(parseMemoryLimit, value);
}

function valid<T>(parse: (value: T) => unknown, value: T): boolean {
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

/** The runtime's parser decides; a name it refuses reads like zod's enum message. */
function checkCapability(name: string, ctx: z.RefinementCtx): void {
  if (!valid((n: string) => parseCapabilities([n]), name)) ctx.addIssue({ code: "invalid_value", values: [...CAPABILITY_NAMES], input: name });
}

/** Finds ferrite.toml in `from` or a folder above it, like cargo finds Cargo.toml. */
export function findManifest(from = process.cwd()): string | null {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, MANIFEST_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Loads the project's manifest, found from `from`; throws a CliError naming the key and the fix. */
export function loadManifest(from = process.cwd()): Manifest {
  const file = findManifest(from);
  if (!file) {
    throw new CliError(
      "ERR_NO_MANIFEST",
      `no ${MANIFEST_FILE} in ${path.resolve(from)} or any folder above it`,
      "run this inside a ferrite-wasm project, or create one with `ferrite-wasm new <dir>`",
    );
  }
  return parseManifest(readFileSync(file, "utf8"), file);
}

/** Parses and validates manifest text; `file` is used in messages and to resolve paths. */
export function parseManifest(text: string, file: string): Manifest {
  const label = path.basename(file);
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split("\n")[0];
      throw new CliError("ERR_MANIFEST", `${label}:${e.line}:${e.column}: invalid TOML: ${reason}`, "fix the syntax at that line (strings need double quotes, tables look like [functions.name])", e.codeblock ? e.codeblock.split("\n") : []);
    }
    throw e;
  }
  const problems: Problem[] = [];
  const result = ManifestSchema.safeParse(raw, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.map(describeIssue));
  const data = result.success ? result.data : null;
  if (data) {
    const names = Object.keys(data.functions);
    if (names.length === 0) problems.push({ key: "functions", problem: "declares no functions", fix: HINTS.functions });
    for (const name of names) {
      if (!FUNCTION_NAME.test(name)) {
        problems.push({ key: `functions.${name}`, problem: `'${name}' is not a valid function name`, fix: "use 1-128 letters, digits, _ . : or - (e.g. [functions.process_order])" });
      }
    }
  }
  if (problems.length > 0) throw manifestError(label, problems);

  const root = path.dirname(path.resolve(file));
  const outDir = path.resolve(root, data!.build.out_dir);
  return {
    path: path.resolve(file),
    root,
    outDir,
    optimize: data!.build.optimize,
    functions: Object.entries(data!.functions).map(([name, f]) => ({
      name,
      entry: f.entry,
      source: f.source,
      sourcePath: path.resolve(root, f.source),
      capabilities: f.capabilities.map((c) => c.toLowerCase() as Capability | "all"),
      memory: String(f.memory),
      memoryBytes: parseMemoryLimit(f.memory),
      timeoutMs: f.timeout_ms,
      keys: f.keys,
      wasmPath: path.join(outDir, `${name}.wasm`),
    })),
  };
}

/** The functions to work on: all of them, or the ones named (each must exist). */
export function selectFunctions(manifest: Manifest, names: readonly string[]): FunctionSpec[] {
  if (names.length === 0) return manifest.functions;
  return names.map((n) => {
    const fn = manifest.functions.find((f) => f.name === n);
    if (!fn) {
      throw new CliError("ERR_USAGE", `${path.basename(manifest.path)} declares no function '${n}'`, `use one of: ${manifest.functions.map((f) => f.name).join(", ")}, or add [functions.${n}] to ${manifest.path}`);
    }
    return fn;
  });
}

interface Problem {
  key: string;
  problem: string;
  fix: string;
}

function manifestError(label: string, problems: Problem[]): CliError {
  if (problems.length === 1) {
    const [p] = problems;
    return new CliError("ERR_MANIFEST", `${label}: ${p.key}: ${p.problem}`, p.fix);
  }
  return new CliError(
    "ERR_MANIFEST",
    `${label} has ${problems.length} problems`,
    "fix each key listed above",
    problems.map((p) => `${p.key}: ${p.problem}; ${p.fix}`),
  );
}

function keyPath(parts: readonly PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("") || "(top level)";
}

function hintFor(parts: readonly PropertyKey[]): string {
  for (let i = parts.length - 1; i >= 0; i--) {
    const h = HINTS[String(parts[i])];
    if (h) return h;
  }
  return HINTS.functions;
}

function describeIssue(issue: z.core.$ZodIssue): Problem {
  const key = keyPath(issue.path);
  const fix = hintFor(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(issue.path);
      const [first] = issue.keys;
      const guess = closestMatch(first.toLowerCase(), known, { maxDistance: 3 });
      return {
        key,
        problem: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`,
        fix: `${guess ? `did you mean '${guess}'? ` : ""}the keys here are ${known.join(", ")}`,
      };
    }
    case "invalid_type":
      if (input === undefined) return { key, problem: "is missing", fix };
      return { key, problem: `must be ${expected(issue.expected)}, not ${describe(input)}`, fix };
    case "invalid_value":
      return { key, problem: `${describe(input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`, fix };
    case "too_small":
      return { key, problem: input === "" ? "is empty" : `is too small (${describe(input)})`, fix };
    default:
      return { key, problem: issue.message, fix };
  }
}

function knownKeys(parts: readonly PropertyKey[]): string[] {
  if (parts.length === 0) return Object.keys(ManifestSchema.shape);
  if (parts[0] === "build") return Object.keys(BuildSchema.shape);
  return Object.keys(FunctionSchema.shape);
}

/** A type as TOML users name it, with its article: "a list", "a table", "an integer". */
function expected(type: string): string {
  if (type === "array") return "a list";
  if (type === "object" || type === "record" || type === "map") return "a table";
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a table";
  return String(value);
}
