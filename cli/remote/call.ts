// `ferrite-wasm call --url <url> <fn> [args...]`: one WASM.CALL (or CALLREAD) on a server. Same
// output as a local call: the reply on stdout, the outcome on stderr, exit code 1 when it fails.
import { FerriteReplyError, replyCode } from "../../runtime-sim/host.js";
import { CliError, Reported } from "../shared/errors.js";
import { asText, duration, printReply, type Output } from "../shared/print.js";
import { displayUrl, nopermFix, withServer } from "./connect.js";
import type { RemoteOptions } from "../shared/options.js";

export async function remoteCall(name: string, args: string[], opts: RemoteOptions & { readOnly?: boolean }, out: Output): Promise<void> {
  if (name.endsWith(".wasm")) {
    throw new CliError("ERR_USAGE", `with --url, call takes the name of a function loaded in the server, not a file (${name})`, "deploy it first with `ferrite-wasm deploy`, then call it by name");
  }
  const command = opts.readOnly ? "WASM.CALLREAD" : "WASM.CALL";
  const result = await withServer(opts, async (client, url) => {
    const started = performance.now();
    try {
      const value = await client.redis.callBuffer(command, name, ...args) as Buffer | null;
      return { url, ok: true as const, value, reply: null, durationMs: performance.now() - started };
    } catch (e) {
      const err = e as Error;
      // A function's own failure is a reply, not a CLI error: shown like a local call's.
      if (err.name !== "ReplyError") throw e;
      if (/^(NOAUTH|WRONGPASS)|unknown command/i.test(err.message)) throw new CliError("ERR_REMOTE", err.message);
      // The user may not run the command at all: not the function's failure (one with a key outside
      // the user's patterns is, and gets the same fix below).
      if (/^NOPERM User \S+ has no permissions to run/.test(err.message)) throw new FerriteReplyError(err.message, command);
      return { url, ok: false as const, value: null, reply: err.message, durationMs: performance.now() - started };
    }
  });
  const text = result.value === null ? null : asText(result.value);
  if (out.json) {
    out.emit({
      ok: result.ok,
      function: name,
      url: displayUrl(result.url),
      command,
      value: text,
      ...(result.value !== null && text === null ? { valueBase64: result.value.toString("base64") } : {}),
      error: result.reply === null ? null : { code: replyCode(result.reply, command), reply: result.reply },
      durationMs: result.durationMs,
    });
  } else if (result.ok) {
    if (result.value !== null) await printReply(result.value);
    const what = result.value === null ? "returned nil" : `returned ${result.value.byteLength} bytes`;
    out.note(`${out.sym.ok} ${out.c.bold(name)} ${what} in ${duration(result.durationMs)} ${out.c.dim(`· ${command} on ${displayUrl(result.url)}`)}`);
  } else {
    out.note(`${out.sym.fail} ${out.c.red(result.reply!)}`);
    const code = replyCode(result.reply!, command);
    if (code === "ERR_NOPERM") out.note(`  ${out.c.cyan("fix")} ${nopermFix(result.reply!, result.url)}`);
    if (code === "ERR_UNKNOWN_FUNCTION") out.note(`  ${out.c.cyan("fix")} run \`ferrite-wasm list --url ${displayUrl(result.url)}\` to see what is loaded, or deploy it with \`ferrite-wasm deploy\``);
  }
  if (!result.ok) throw new Reported(1);
}
