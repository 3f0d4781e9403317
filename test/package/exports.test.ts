// The package's public surface, as a user gets it: `npm pack`, unpacked into a node_modules, then
// each entry imported by Node and read by TypeScript through package.json's exports. The lists are
// exact, so a name that leaks into an entry (or drops out of one) fails here.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureCliBuilt, ROOT } from "../cli/helpers/cli.js";

const run = promisify(execFile);

/** Runtime values of each JavaScript entry. */
const VALUES: Record<string, string[]> = {
  "ferrite-wasm/runtime": ["CAPABILITIES", "DEFAULTS", "FerriteError", "MemoryStore", "Runtime", "createRuntime", "formatBytes", "isFerriteError", "parseCapabilities", "parseMemoryLimit", "parseTimeout", "replayFailedCall"],
  "ferrite-wasm/testing": ["json", "manualClock", "replayFailedCall", "seededRandom", "text", "writes"],
  "ferrite-wasm/server": ["ConfigError", "DEFAULT_CONFIG", "ServerStartError", "loadConfig", "parseConfig", "startServer"],
  "ferrite-wasm/client": ["FerriteClient", "FerriteReplyError", "FunctionsUnsupportedError"],
  "ferrite-wasm/project": ["loadProject"],
};

/** Names that exist only as types. */
const TYPES: Record<string, string[]> = {
  "ferrite-wasm/runtime": [
    "AllStats", "AsyncHttpHandler", "AsyncStore", "CallArg", "CallErrorCode", "CallOptions", "CallResult", "Capability", "ErrorCode", "ErrorData", "FailedCallJSON", "FunctionInfo",
    "FunctionSettings", "FunctionStats", "HostCall", "HttpHandler", "HttpRequest", "HttpResponse", "KeyPermissions", "KeyWrite", "LoadErrorCode",
    "LoadOptions", "LogEntry", "LogLevel", "ReadEntry", "RecordedAnswers", "RecordedCall", "RecordedRead", "ReplayOptions", "ReplyWord", "RuntimeDefaults", "RuntimeOptions", "Store",
  ],
  "ferrite-wasm/testing": ["FailedCallJSON", "ManualClock"],
  "ferrite-wasm/server": ["ConfigInput", "FerriteConfig", "FerriteServer", "LoadConfigOptions", "LogLevel", "Logger", "ServerConfig", "ServerOptions", "VersionRecord", "WasmConfig"],
  "ferrite-wasm/client": ["ErrorCode", "WasmArg", "WasmFailureSummary", "WasmLoadOptions", "WasmLogEntry", "WasmLogsOptions", "WasmSlowlogEntry", "WasmUpdateOptions"],
  "ferrite-wasm/project": ["Project", "ProjectOptions"],
};
const ENTRIES = Object.keys(VALUES);

// Unpacked under the project's node_modules so the package finds its dependencies as an install would.
let dir: string;
beforeAll(async () => {
  await ensureCliBuilt(); // dist/ up to date with the sources
  const cache = path.join(ROOT, "node_modules/.cache");
  await mkdir(cache, { recursive: true });
  dir = await mkdtemp(path.join(cache, "ferrite-wasm-pack-"));
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
  const pkg = path.join(dir, "node_modules/ferrite-wasm");
  await mkdir(pkg, { recursive: true });
  await run("tar", ["-xzf", path.join(dir, filename), "-C", pkg, "--strip-components=1"]);
  // A package of its own, as a user's project is: "ferrite-wasm/..." must not resolve to the toolkit itself.
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "uses-ferrite-wasm", private: true, type: "module" }));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the packed package", () => {
  test("each entry exports exactly its public values, and nothing else is reachable", async () => {
    const script = `
      const out = {};
      for (const entry of ${JSON.stringify(ENTRIES)}) {
        out[entry] = Object.keys(await import(entry)).sort();
        out[entry + " from"] = import.meta.resolve(entry);
      }
      for (const hidden of ["ferrite-wasm", "ferrite-wasm/dist/runtime-sim/module.js", "ferrite-wasm/server/commands"]) {
        out[hidden] = await import(hidden).then(() => "importable", (e) => e.code);
      }
      console.log(JSON.stringify(out));`;
    await writeFile(path.join(dir, "check.mjs"), script);
    const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: dir });
    const found = JSON.parse(stdout) as Record<string, string[] | string>;
    for (const entry of ENTRIES) {
      expect(found[entry], entry).toEqual([...VALUES[entry]].sort());
      expect(found[`${entry} from`], entry).toContain("/node_modules/ferrite-wasm/dist/");
    }
    expect(found["ferrite-wasm"]).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(found["ferrite-wasm/dist/runtime-sim/module.js"]).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(found["ferrite-wasm/server/commands"]).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  test("each entry's types name exactly its values and its public types", () => {
    const file = path.join(dir, "types.mts");
    const source = ENTRIES.map((e, i) => `import * as e${i} from "${e}";`).join("\n");
    const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [path.join(ROOT, "node_modules/@types")] };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (path.resolve(f) === file ? source : read(f));
    host.fileExists = ((exists) => (f: string) => path.resolve(f) === file || exists(f))(host.fileExists.bind(host));
    const program = ts.createProgram([file], options, host);
    const sf = program.getSourceFile(file)!;
    const errors = ts.getPreEmitDiagnostics(program, sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(errors).toEqual([]);
    const checker = program.getTypeChecker();
    const imports = sf.statements.filter(ts.isImportDeclaration);
    ENTRIES.forEach((entry, i) => {
      const module = checker.getSymbolAtLocation(imports[i].moduleSpecifier)!;
      const names = checker.getExportsOfModule(module).map((s) => s.name).sort();
      expect(names, entry).toEqual([...new Set([...VALUES[entry], ...TYPES[entry]])].sort());
      // The types resolve from the packed files, not the sources.
      expect(module.declarations?.[0].getSourceFile().fileName, entry).toContain(`${path.sep}node_modules${path.sep}ferrite-wasm${path.sep}dist${path.sep}`);
    });
  });
});
