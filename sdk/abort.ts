// AssemblyScript's abort() (a throw, a failed assert, an index out of range, ...) routed to the
// ABI: ferrite_error with the message and source position, then a trap. The build aliases it
// with `--use abort=~lib/ferrite-wasm/sdk/abort/ferriteAbort` (asconfig.json), so no module
// ever imports env.abort. The message reads "<message> at <file>:<line>:<column>", e.g.
// "Index out of range at ~lib/array.ts:106:42" or "bad email at assembly/index.ts:12:5".
// It is written into a static buffer, not the heap, so it still works when memory is exhausted;
// and it keeps no mutable globals, because abort can run while globals are still being set up.

import { ferrite_error } from "./bindings";
import { encodeUtf8 } from "./memory";
import { E_ABORT, E_AT } from "./errors";

/** Longest message sent, in bytes; longer ones are cut at a character boundary. */
// @ts-ignore: decorator
@inline const CAPACITY: usize = 1024;

// @ts-ignore: decorator
@lazy const BUFFER: usize = memory.data(<i32>CAPACITY);

/** Appends `text` at byte `at` of the buffer; returns the new end. */
function put(text: string, at: usize): usize {
  return at + encodeUtf8(text, BUFFER + at, CAPACITY - at);
}

/** Appends `value` in decimal at byte `at`; returns the new end. */
function putNumber(value: u32, at: usize): usize {
  let digits: usize = 1;
  for (let rest = value / 10; rest != 0; rest /= 10) digits++;
  if (at + digits > CAPACITY) return at;
  for (let i = digits; i > 0; i--) {
    store<u8>(BUFFER + at + i - 1, 0x30 + value % 10);
    value /= 10;
  }
  return at + digits;
}

/** Target of `--use abort=...`: reports "<message> at <file>:<line>:<column>" and traps. */
export function ferriteAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let at = put(message !== null ? message : E_ABORT, 0);
  if (fileName !== null) {
    at = put(E_AT, at);
    at = put(fileName, at);
    at = put(":", at);
    at = putNumber(line, at);
    at = put(":", at);
    at = putNumber(column, at);
  }
  ferrite_error(BUFFER, <i32>at);
  unreachable();
}

/** Fails the call with `message` (no source position) and stops it: for the SDK's own checks. */
export function panic(message: string): void {
  ferrite_error(BUFFER, <i32>put(message, 0));
  unreachable();
}
