// `ferrite-wasm replay <function> [call-id]`: brings a call that failed on a server home. Fetches
// its record from the server's flight recorder (WASM.FAILURES), finds the module that ran (same
// hash: the local build, or the server's copy), reruns the call on the simulator exactly, and
// prints the error with the trap's source line. --save writes it as a regression test.
import { performance } from "node:perf_hooks";
import { Command } from "commander";
import type { CallResult, FailedCallJSON } from "../../runtime-sim/index.js";
import type { FerriteClient, WasmFailureSummary } from "../../server/client.js";
import { action } from "../program.js";
import { displayUrl, withServer } from "../remote/connect.js";
import { fetchFailedCall, findModule, type ReplayModule } from "../remote/failed-call.js";
import { Reported } from "../shared/errors.js";
import { withOptions, type RemoteOptions } from "../shared/options.js";
import { duration, type Output } from "../shared/print.js";

interface ReplayOptions extends RemoteOptions {
  save?: string;
  wasm?: string;
  list?: boolean;
}

/** The error without a trap's source position: a replay with a source map adds one the server may not have had. */
const withoutPosition = (message: string) => message.replace(/ at [^ ]+:\d+(:\d+)?$/, "");

export function replayCommand(): Command {
  return withOptions(
    new Command("replay")
      .description("rerun a call that failed on a server, here on the simulator, exactly as it ran (WASM.FAILURES)")
      .argument("<function>", "the function whose failed call to replay")
      .argument("[call-id]", "which kept call (default: the newest); `--list` shows them")
      .option("--save <file.test.ts>", "also write the call as a vitest test in this project: it fails until the function is fixed")
      .option("--wasm <file>", "replay on this module (it must be the one that ran: same sha256)")
      .option("--list", "list the failed calls the server keeps for the function, and replay none"),
    { url: true },
  )
    .addHelpText(
      "after",
      `
The server keeps each function's last failed calls (flight_recorder_max_len, default 10):
arguments, what each read saw, the time, random and http answers. The replay seeds a fresh
store with those reads and gives the same answers, so it fails as the call did; with the
build's source map the trap names its source line. The module must have the same sha256:
the local build is used when it matches, otherwise the server's kept copy.
The exit code is 0 when the replay failed the same way, 1 otherwise.

Examples:
  $ ferrite-wasm replay validate --url redis://127.0.0.1:6390
  $ ferrite-wasm replay validate --list
  $ ferrite-wasm replay validate 1732412345678-3 --save test/regressions/validate-empty.test.ts
  $ ferrite-wasm replay process_order --wasm old/process_order.wasm --json`,
    )
    .action(
      action<ReplayOptions>(async ([fnArg, idArg], opts, out) => {
        const fn = String(fnArg);
        const id = idArg === undefined ? undefined : String(idArg);
        if (opts.list) {
          const kept = await withServer(opts, (client) => client.wasmFailures(fn));
          if (out.json) out.emit({ function: fn, failures: kept });
          else printList(fn, kept, out);
          return;
        }
        const { record, module, url } = await withServer(opts, async (client: FerriteClient, url) => {
          const record = await fetchFailedCall(client, displayUrl(url), fn, id);
          return { record, module: await findModule(record, client, opts.wasm), url };
        });
        const { result, loadMs } = await replay(record, module);
        const same = result.error !== null && result.error.code === record.error.code && withoutPosition(result.error.message) === withoutPosition(record.error.message);
        let saved: string | null = null;
        if (opts.save) {
          const { saveRegressionTest } = await import("../project/regression-test.js");
          saved = await saveRegressionTest(opts.save, record, displayUrl(url));
        }
        if (out.json) {
          out.emit({
            ok: same,
            id: record.id,
            function: record.function,
            version: record.version,
            sha256: record.sha256,
            module: { from: module.from, path: module.path, source_map: module.sourceMap !== undefined },
            duration_ms: round(result.durationMs),
            load_ms: round(loadMs),
            error: result.error === null ? null : { code: result.error.code, message: result.error.message },
            recorded_error: record.error,
            same_error: same,
            logs: result.logs.map((l) => ({ level: l.level, message: l.message })),
            saved,
          });
        } else printReplay(record, module, result, loadMs, same, saved, displayUrl(url), out);
        if (!same) throw new Reported(1);
      }),
    );
}

async function replay(record: FailedCallJSON, module: ReplayModule): Promise<{ result: CallResult; loadMs: number }> {
  const { createRuntime, replayFailedCall } = await import("../../runtime-sim/index.js");
  const rt = createRuntime();
  const started = performance.now();
  await rt.load(record.function, module.bytes, {
    capabilities: record.capabilities,
    memory: record.memory_limit_bytes,
    timeoutMs: record.timeout_ms,
    entry: record.entry,
    sourceMap: module.sourceMap,
  });
  const loadMs = performance.now() - started;
  return { result: replayFailedCall(rt, record), loadMs };
}

function printReplay(record: FailedCallJSON, module: ReplayModule, result: CallResult, loadMs: number, same: boolean, saved: string | null, url: string, out: Output): void {
  const { c, sym } = out;
  out.line(`Replaying ${c.bold(record.function)} call ${record.id ?? ""} ${c.dim(`(failed on ${url} at ${record.time}, after ${duration(record.duration_ms)})`)}`);
  const where = module.from === "server" ? "the server's copy" : `${module.from} ${module.path}`;
  out.line(`  module  ${record.version === null ? "" : `version ${record.version}, `}sha256 ${record.sha256.slice(0, 12)}… from ${where}${module.sourceMap ? "" : c.dim(" (no source map: traps get no source line)")}`);
  out.line(`  args    ${record.args.map((a) => (typeof a === "string" ? JSON.stringify(a) : `<${Buffer.from(a.base64, "base64").length} bytes>`)).join(" ") || c.dim("none")}`);
  out.line(`  reads   ${record.reads.length} key${record.reads.length === 1 ? "" : "s"} · now ×${record.answers.now.length} · random ×${record.answers.random.length} · http ×${record.answers.http.length}`);
  out.line(`  ran in  ${duration(result.durationMs)} ${c.dim(`(module loaded in ${duration(loadMs)})`)}`);
  for (const l of result.logs) out.line(c.dim(`  log     ${l.level} ${l.message}`));
  if (result.error === null) out.line(`${sym.fail} the call succeeded this time: ${c.dim("the record does not reproduce the failure")}`);
  else out.line(`${same ? sym.fail : sym.warn} ${c.red(result.error.reply)}`);
  if (same) out.line(c.dim(`  the same error as on the server${result.error!.message !== record.error.message ? " (with the source position added)" : ""}`));
  else out.line(c.yellow(`  the server reported: ${record.error.reply ?? record.error.message}`));
  if (saved) out.line(`${sym.ok} saved as ${saved}: it fails until ${record.function} handles this call (\`ferrite-wasm test\`)`);
}

function printList(fn: string, kept: WasmFailureSummary[], out: Output): void {
  if (kept.length === 0) {
    out.line(`No failed calls of '${fn}' are kept.`);
    return;
  }
  for (const k of kept) out.line(`${out.c.bold(k.id)}  ${out.c.dim(k.time)}  v${k.version ?? "?"}  ${k.code}  ${k.error}`);
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
