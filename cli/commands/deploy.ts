// `ferrite-wasm deploy [functions...]`: builds what changed, sends each module with WASM.LOADB and
// the manifest's capabilities, memory and timeout, then reads WASM.INFO back to check the server
// holds exactly that module (size, sha256) with exactly those settings.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Command } from "commander";
import type { FerriteClient } from "../../server/client.js";
import { CAPABILITIES, type FunctionInfo } from "../../runtime-sim/index.js";
import { FerriteReplyError } from "../../runtime-sim/host.js";
import { CliError } from "../shared/errors.js";
import type { FunctionSpec } from "../project/manifest.js";
import { duration, size, type Output } from "../shared/print.js";
import { action } from "../program.js";
import { displayUrl, targetUrl, withServer } from "../remote/connect.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";

interface DeployOptions extends RemoteOptions {
  replace?: boolean;
}

interface Deployed {
  name: string;
  ok: boolean;
  size: number;
  sha256: string;
  entry: string | null;
  capabilities: string[];
  memory: string;
  timeoutMs: number;
  durationMs: number;
  /** Why it failed: the server's reply or the settings that did not match. */
  error: string | null;
  mismatches: string[];
}

export function deployCommand(): Command {
  return withOptions(
    new Command("deploy")
      .description("build if needed, then load the project's functions into a server (WASM.LOADB)")
      .argument("[functions...]", "the functions of ferrite.toml to deploy (default: all)")
      .option("--replace", "replace functions already loaded under the same names"),
    { url: true },
  )
    .addHelpText(
      "after",
      `
Each function goes with the capabilities, memory, timeout_ms and keys of ferrite.toml; after the
load, WASM.INFO must report the same module (size, sha256) and the same settings.

Examples:
  $ ferrite-wasm serve --port 6390 &
  $ ferrite-wasm deploy --url redis://127.0.0.1:6390
  $ ferrite-wasm deploy validate --replace --url rediss://default:s3cret@ferrite.example.com:6380`,
    )
    .action(
      action<DeployOptions>(async ([names], opts, out) => {
        const { loadManifest, selectFunctions } = await import("../project/manifest.js");
        const manifest = loadManifest();
        const fns = selectFunctions(manifest, (names as string[]) ?? []);
        const { ensureBuilt } = await import("../build/ensure-built.js");
        // Connect first, so a wrong URL or a server without functions is reported before a build.
        const results = await withServer(opts, async (client, url) => {
          await ensureBuilt(manifest, fns, out);
          const done: Deployed[] = [];
          for (const fn of fns) {
            const progress = out.progress(`Deploying ${fn.name} to ${displayUrl(url)}…`);
            try {
              done.push(await deployOne(client, fn, opts.replace === true));
            } finally {
              progress.stop();
            }
          }
          return done;
        });
        const url = displayUrl(targetUrl(opts));
        const ok = results.every((r) => r.ok);
        if (out.json) out.emit({ ok, url, functions: results });
        else print(results, url, out);
        if (!ok) {
          const failed = results.filter((r) => !r.ok);
          const exists = failed.some((r) => /already exists/.test(r.error ?? ""));
          throw new CliError(
            "ERR_REMOTE",
            `${failed.map((r) => r.name).join(", ")} did not deploy`,
            exists ? "pass --replace to swap the loaded functions for these builds" : "see the reason under each function above",
          );
        }
      }),
    );
}

async function deployOne(client: FerriteClient, fn: FunctionSpec, replace: boolean): Promise<Deployed> {
  const wasm = await readFile(fn.wasmPath);
  const sha256 = createHash("sha256").update(wasm).digest("hex");
  const started = performance.now();
  const base = { name: fn.name, size: wasm.byteLength, sha256, capabilities: fn.capabilities, memory: fn.memory, timeoutMs: fn.timeoutMs };
  try {
    // LOADB has no ENTRY keyword: the server picks the export by the function's name (checked below).
    await client.wasmLoadB(fn.name, wasm, { capabilities: fn.capabilities, memory: fn.memory, timeoutMs: fn.timeoutMs, keys: fn.keys, replace });
  } catch (e) {
    // A refused permission refuses every function alike: one error that says what to grant.
    if (!(e instanceof FerriteReplyError) || e.code === "ERR_NOPERM") throw e;
    return { ...base, ok: false, entry: null, durationMs: performance.now() - started, error: (e as Error).message, mismatches: [] };
  }
  const info = await client.wasmInfo(fn.name);
  const mismatches = compare(fn, wasm.byteLength, sha256, info);
  return {
    ...base,
    ok: mismatches.length === 0,
    entry: info.entry,
    durationMs: performance.now() - started,
    error: mismatches.length ? "WASM.INFO does not match what was sent" : null,
    mismatches,
  };
}

/** What WASM.INFO reports differently from the build and ferrite.toml. */
function compare(fn: FunctionSpec, bytes: number, sha256: string, info: FunctionInfo): string[] {
  const out: string[] = [];
  if (info.size_bytes !== bytes) out.push(`size: sent ${bytes} bytes, the server holds ${info.size_bytes}`);
  if (info.sha256 !== sha256) out.push(`sha256: sent ${sha256.slice(0, 12)}…, the server holds ${String(info.sha256).slice(0, 12)}…`);
  const want = fn.capabilities.includes("all") ? [...CAPABILITIES] : fn.capabilities;
  const have = [...info.capabilities];
  if ([...want].sort().join(",") !== have.sort().join(",")) out.push(`capabilities: ferrite.toml grants [${want.join(", ")}], the server granted [${have.join(", ")}]`);
  if (info.memory_limit_bytes !== fn.memoryBytes) out.push(`memory: ferrite.toml says ${fn.memory}, the server has ${info.memory_limit}`);
  const keys = fn.keys ?? ["*"];
  if (info.keys !== undefined && info.keys.join(" ") !== keys.join(" ")) out.push(`keys: ferrite.toml says ${keys.join(" ")}, the server has ${info.keys.join(" ")}`);
  if (info.timeout_ms !== fn.timeoutMs) out.push(`timeout: ferrite.toml says ${fn.timeoutMs} ms, the server has ${info.timeout_ms} ms`);
  if (fn.entry !== undefined && info.entry !== fn.entry) out.push(`entry: ferrite.toml says ${fn.entry}, the server runs ${info.entry} (WASM.LOADB picks the export named like the function, else the only entry)`);
  return out;
}

function print(results: Deployed[], url: string, out: Output): void {
  const { c, sym } = out;
  const w = Math.max(8, ...results.map((r) => r.name.length));
  out.line(c.dim(`  ${"function".padEnd(w)}  ${"size".padStart(8)}  ${"sha256".padEnd(12)}  ${"capabilities".padEnd(20)}  ${"memory".padStart(6)}  ${"timeout".padStart(8)}  time`));
  for (const r of results) {
    const caps = (r.capabilities.join(",") || "none").padEnd(20);
    const row = `${r.name.padEnd(w)}  ${size(r.size).padStart(8)}  ${r.sha256.slice(0, 12)}  ${caps}  ${r.memory.padStart(6)}  ${`${r.timeoutMs} ms`.padStart(8)}  ${duration(r.durationMs)}`;
    out.line(`${r.ok ? sym.ok : sym.fail} ${r.ok ? row : c.red(row)}`);
    if (r.error && r.mismatches.length === 0) out.line(`    ${c.red(r.error)}`);
    for (const m of r.mismatches) out.line(`    ${c.red(m)}`);
  }
  const good = results.filter((r) => r.ok).length;
  if (good > 0) out.line(`Deployed ${good} function${good === 1 ? "" : "s"} to ${c.bold(url)}; checked with WASM.INFO.`);
}
