// Log lines through ferrite_log (capability "log"): one function per level, plus the targets the
// build aliases AssemblyScript's trace() and console to, so they never become env imports.

import { ferrite_log } from "./bindings";
import { blockData, blockLength, stringBlock } from "./memory";

function write(level: i32, message: string): void {
  const block = stringBlock(message);
  ferrite_log(level, blockData(block), blockLength(block));
  heap.free(block);
}

export namespace log {
  /** Level 0. */
  export function trace(message: string): void { write(0, message); }
  /** Level 1. */
  export function debug(message: string): void { write(1, message); }
  /** Level 2. */
  export function info(message: string): void { write(2, message); }
  /** Level 3. */
  export function warn(message: string): void { write(3, message); }
  /** Level 4. */
  export function error(message: string): void { write(4, message); }
}

/** Target of `--use trace=...`: trace(message, n, a0..a4) as a trace line "message a0 a1 ...". */
export function ferriteTrace(
  message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0,
): void {
  let line = message;
  if (n > 0) line += " " + a0.toString();
  if (n > 1) line += " " + a1.toString();
  if (n > 2) line += " " + a2.toString();
  if (n > 3) line += " " + a3.toString();
  if (n > 4) line += " " + a4.toString();
  write(0, line);
}

/** Target of `--use console=...`: console.log and friends become log lines instead of env imports. */
export namespace ferriteConsole {
  export function assert<T>(condition: T, message: string = ""): void { if (!condition) write(4, "Assertion failed: " + message); }
  export function log(message: string = ""): void { write(2, message); }
  export function debug(message: string = ""): void { write(1, message); }
  export function info(message: string = ""): void { write(2, message); }
  export function warn(message: string = ""): void { write(3, message); }
  export function error(message: string = ""): void { write(4, message); }
}
