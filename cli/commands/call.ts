// `ferrite-wasm call <file.wasm|function> [args...]`: one WASM.CALL on the local simulator, with
// the host functions, a seeded keyspace and the function's limits. The reply goes to stdout;
// logs, keys written and timing go to stderr, so the reply can be piped.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { DEFAULTS, type Capability, type CallResult } from "../../runtime-sim/index.js";
import { CliError, Reported } from "../shared/errors.js";
import { withOptions, type SharedOptions } from "../shared/options.js";
import { asText, duration, printReply, type Output } from "../shared/print.js";
import { action } from "../program.js";

interface CallCliOptions extends SharedOptions {
  store?: string;
  name?: string;
}

/** What to load: a module file, or a function of the project (built first when stale). */
interface Target {
  name: string;
  wasm: Uint8Array;
  sourceMap?: string;
  capabilities: (Capability | "all")[];
  memory?: string;
  timeoutMs?: number;
  entry?: string;
  /** Where the capabilities come from, for the fix when one is missing. */
  grantHint: string;
}

/** WASM.LOAD's default grant (the specification's [wasm] capabilities.default). */

export function callCommand(): Command {
  const cmd = new Command("call")
    .description("run one WASM.CALL on the local simulator, or on a server with --url")
    .argument("<target>", "a .wasm file, or the name of a function in ferrite.toml (built first if needed)")
    .argument("[args...]", "the call's arguments, as WASM.CALL takes them")
    .option("--store <seed.json>", "start with these keys: a JSON object (non-string values are stored as JSON)");
  withOptions(cmd, {
    capabilities: "grant these, e.g. read,write (default: ferrite.toml's, or read,log for a file)",
    memory: "memory limit, e.g. 10MB (default: ferrite.toml's, or 10MB)",
    timeout: "timeout in milliseconds (default: ferrite.toml's, or 1000)",
    readOnly: true,
    entry: true,
  }).option("--name <name>", "for a .wasm file: the function name to load it under (default: the file name)");
  return withOptions(cmd, { url: "call the function loaded in this server instead (redis://[user:pass@]host:port or rediss://)" })
    .addHelpText(
      "after",
      `
The reply is printed on stdout; logs, keys written and the duration on stderr.
The exit code is 1 when the call fails.

Examples:
  $ ferrite-wasm call validate '{"email": "ada@example.com"}'
  $ ferrite-wasm call process_order order:1 --store seed.json
  $ ferrite-wasm call build/aggregate_stats.wasm k1 k2 --capabilities read --json
  $ ferrite-wasm call plugin.wasm --name transform_user --read-only
  $ ferrite-wasm call --url redis://127.0.0.1:6390 validate '{"email": "ada@example.com"}'`,
    )
    .action(
      action<CallCliOptions>(async ([targetArg, args], opts, out) => {
        if (opts.url !== undefined) {
          const { remoteCall } = await import("../remote/call.js");
          return remoteCall(String(targetArg), (args as string[]) ?? [], opts, out);
        }
        const target = await resolveTarget(String(targetArg), opts, out);
        const { createRuntime, MemoryStore } = await import("../../runtime-sim/index.js");
        const store = new MemoryStore();
        if (opts.store) await (await import("../project/seed.js")).loadSeed(opts.store, store);
        const rt = createRuntime({ store, cache: true }); // prepared modules from node_modules/.cache/ferrite-wasm
        const info = await rt.load(target.name, target.wasm, {
          capabilities: target.capabilities,
          memory: target.memory,
          timeoutMs: target.timeoutMs,
          entry: target.entry,
          sourceMap: target.sourceMap,
        });
        const result = rt.call(target.name, (args as string[]) ?? [], { readOnly: opts.readOnly === true });
        if (out.json) out.emit(toJson(target.name, info.entry, info.capabilities, result));
        else await printResult(target, info.capabilities, result, out);
        if (!result.ok) throw new Reported(1);
      }),
    );
}

async function resolveTarget(arg: string, opts: CallCliOptions, out: Output): Promise<Target> {
  if (arg.endsWith(".wasm") || (existsSync(arg) && !/^[A-Za-z0-9_.:-]+$/.test(arg))) {
    const file = path.resolve(arg);
    const wasm = await readFile(file).catch(() => {
      throw new CliError("ERR_FILE", `cannot read ${file}`, "check the path, or give the name of a function in ferrite.toml");
    });
    return {
      name: opts.name ?? path.basename(file).replace(/\.wasm$/i, ""),
      wasm: new Uint8Array(wasm),
      sourceMap: await readFile(`${file}.map`, "utf8").catch(() => undefined),
      capabilities: opts.capabilities ?? [...DEFAULTS.capabilities],
      memory: opts.memory,
      timeoutMs: opts.timeout,
      entry: opts.entry,
      grantHint: "pass --capabilities",
    };
  }
  const { loadManifest, selectFunctions } = await import("../project/manifest.js");
  const manifest = loadManifest();
  const [fn] = selectFunctions(manifest, [arg]);
  const { ensureBuilt } = await import("../build/ensure-built.js");
  await ensureBuilt(manifest, [fn], out);
  return {
    name: fn.name,
    wasm: new Uint8Array(await readFile(fn.wasmPath)),
    sourceMap: await readFile(`${fn.wasmPath}.map`, "utf8").catch(() => undefined),
    capabilities: opts.capabilities ?? fn.capabilities,
    memory: opts.memory ?? fn.memory,
    timeoutMs: opts.timeout ?? fn.timeoutMs,
    entry: opts.entry ?? fn.entry,
    grantHint: `add it to functions.${fn.name}.capabilities in ferrite.toml (or pass --capabilities)`,
  };
}

const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

function toJson(name: string, entry: string, capabilities: Capability[], r: CallResult) {
  const value = r.value === null ? null : asText(r.value);
  return {
    ok: r.ok,
    function: name,
    entry,
    capabilities,
    value,
    ...(r.value !== null && value === null ? { valueBase64: Buffer.from(r.value).toString("base64") } : {}),
    error: r.error ? { code: r.error.code, message: r.error.message, reply: r.error.reply } : null,
    logs: r.logs.map((l) => ({ level: l.level, message: l.message, time: l.time })),
    writes: r.writes.map((w) => ({ key: text(w.key), value: w.value === null ? null : text(w.value) })),
    writesApplied: r.ok,
    durationMs: r.durationMs,
  };
}

async function printResult(target: Target, capabilities: Capability[], r: CallResult, out: Output): Promise<void> {
  const { c, sym } = out;
  for (const l of r.logs) out.note(`  ${c.dim(l.level.padEnd(5))} ${l.message}`);
  if (r.ok) {
    if (r.value !== null) await printReply(r.value);
    const what = r.value === null ? "returned nil (no ferrite_return)" : `returned ${r.value.byteLength} bytes`;
    out.note(`${sym.ok} ${c.bold(target.name)} ${what} in ${duration(r.durationMs)} ${c.dim(`· capabilities: ${capabilities.join(", ") || "none"}`)}`);
  } else {
    out.note(`${sym.fail} ${c.red(r.error?.reply ?? "ERR call failed")}`);
    const fix = fixFor(r, target);
    if (fix) out.note(`  ${c.cyan("fix")} ${fix}`);
  }
  if (r.writes.length > 0) {
    out.note(r.ok ? c.dim("keys written:") : c.dim("writes discarded (the call failed, so the keyspace is unchanged):"));
    for (const w of r.writes) out.note(`  ${text(w.key)} ${w.value === null ? c.dim("(deleted)") : `= ${text(w.value)}`}`);
  }
}

function fixFor(r: CallResult, target: Target): string | null {
  const err = r.error;
  if (!err) return null;
  if (err.code === "ERR_CAPABILITY") return `grant '${String(err.data.capability)}': ${target.grantHint}`;
  if (err.code === "ERR_TIMEOUT") return "make the function faster, or raise its timeout (timeout_ms in ferrite.toml, or --timeout)";
  if (err.code === "ERR_MEMORY") return "use less memory, or raise its limit (memory in ferrite.toml, or --memory)";
  if (err.code === "ERR_READONLY") return "call it without --read-only, or keep the function from writing";
  return null;
}
