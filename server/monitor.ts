// MONITOR lines, byte for byte as Redis writes them:
//   +1339518083.107412 [0 127.0.0.1:60866] "set" "k" "v\x01"
// (time with microseconds, database and client address, each argument quoted as sdscatrepr does).
// Passwords are shown as "(redacted)", as Redis does for AUTH and HELLO ... AUTH.
import { performance } from "node:perf_hooks";

const REDACTED = Buffer.from("(redacted)");

/** Arguments with secrets replaced. */
function redact(name: string, args: readonly Buffer[]): readonly Buffer[] {
  if (name === "auth") return [args[0], ...args.slice(1).map(() => REDACTED)];
  if (name === "hello") {
    const out = [...args];
    for (let i = 2; i < out.length; i++) {
      if (out[i].toString("latin1").toUpperCase() === "AUTH") {
        for (let j = i + 1; j <= i + 2 && j < out.length; j++) out[j] = REDACTED;
        i += 2;
      }
    }
    return out;
  }
  return args;
}

/** An argument quoted as Redis's sdscatrepr: printable ASCII as is, the rest escaped. */
export function quote(arg: Uint8Array): string {
  let s = '"';
  for (const c of arg) {
    if (c === 0x5c) s += "\\\\";
    else if (c === 0x22) s += '\\"';
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x0d) s += "\\r";
    else if (c === 0x09) s += "\\t";
    else if (c === 0x07) s += "\\a";
    else if (c === 0x08) s += "\\b";
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return s + '"';
}

/** One MONITOR line (without the leading "+" and CRLF, which the writer adds). */
export function monitorLine(name: string, db: number, addr: string, args: readonly Buffer[]): string {
  const now = performance.timeOrigin + performance.now();
  const sec = Math.floor(now / 1000);
  const usec = Math.floor((now - sec * 1000) * 1000);
  let line = `${sec}.${String(Math.min(usec, 999_999)).padStart(6, "0")} [${db} ${addr}]`;
  for (const a of redact(name, args)) line += ` ${quote(a)}`;
  return line;
}
