// `@ferrite/as-sdk`: the host API in the style the specification's AssemblyScript example uses,
// `ferrite.return(result)`. A namespace cannot declare `return` (a reserved word), a class's
// static method can, so `ferrite` is a class of static methods. ferrite-wasm's build resolves
// `import { ferrite } from "@ferrite/as-sdk"` to this file; it wraps the same SDK functions as
// `ferrite-wasm/sdk` (imported by package name, so they are the very same files).

import { input, args } from "ferrite-wasm/sdk/input";
import { keys } from "ferrite-wasm/sdk/keys";
import { output } from "ferrite-wasm/sdk/output";
import { ferrite_log } from "ferrite-wasm/sdk/bindings";
import { now, random } from "ferrite-wasm/sdk/time";
import { http } from "ferrite-wasm/sdk/http";
import { stringBlock, blockData, blockLength } from "ferrite-wasm/sdk/memory";

/** Log levels, as ferrite_log numbers them. */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
}

export class ferrite {
  // ---- reply and errors ----

  /** Sets the call's reply to `value` (sent as UTF-8); a later call replaces an earlier one. */
  static return(value: string): void {
    output.string(value);
  }

  /** Sets the call's reply to these exact bytes. */
  static returnBytes(value: Uint8Array): void {
    output.bytes(value);
  }

  /** Marks the call failed: the client gets `FUNCERR <message>`. The entry should then return nonzero. */
  static error(message: string): void {
    output.error(message);
  }

  /** `ferrite.error(message)`, then gives 1 to return: `return ferrite.fail("bad email")`. */
  static fail(message: string): i32 {
    output.error(message);
    return 1;
  }

  /** Writes a log line; `level` is a LogLevel (0 trace ... 4 error). Needs `log`. */
  static log(level: i32, message: string): void {
    const block = stringBlock(message);
    ferrite_log(level, blockData(block), blockLength(block));
    heap.free(block);
  }

  // ---- keys ----

  /** The value at `key` as text, or null when the key does not exist. Needs `read`. */
  static get(key: string): string | null {
    return keys.get(key);
  }

  /** The value at `key` as bytes, or null. Needs `read`. */
  static getBytes(key: string): Uint8Array | null {
    return keys.getBytes(key);
  }

  /** Stores text at `key`; true when stored. Needs `write`. Kept only if the call succeeds. */
  static set(key: string, value: string): bool {
    return keys.set(key, value);
  }

  /** Stores bytes at `key`; true when stored. Needs `write`. */
  static setBytes(key: string, value: Uint8Array): bool {
    return keys.setBytes(key, value);
  }

  /** Deletes `key`; true when it existed. Needs `delete`. */
  static del(key: string): bool {
    return keys.del(key);
  }

  /** True when `key` exists. Needs `read`. */
  static exists(key: string): bool {
    return keys.exists(key);
  }

  // ---- input and arguments ----

  /** The entry's input as text: pass the entry's own (ptr, len). All arguments joined with "\n". */
  static input(ptr: usize, len: usize): string {
    return input.string(<i32>ptr, <i32>len);
  }

  /** The entry's input as bytes (a copy). */
  static inputBytes(ptr: usize, len: usize): Uint8Array {
    return input.bytes(<i32>ptr, <i32>len);
  }

  /** Number of arguments the call was given. */
  static argCount(): i32 {
    return args.count();
  }

  /** Argument `index` as text, or null when out of range. */
  static arg(index: i32): string | null {
    return args.string(index);
  }

  /** Argument `index` exactly as sent (binary-safe), or null when out of range. */
  static argBytes(index: i32): Uint8Array | null {
    return args.bytes(index);
  }

  // ---- host services ----

  /** Milliseconds since the Unix epoch. Needs `time`. */
  static now(): i64 {
    return now();
  }

  /** Uniform in [0, 1). Needs `random`. */
  static random(): f64 {
    return random();
  }

  /** Sends a request given as JSON text and returns the response JSON text. Needs `http`. */
  static http(requestJson: string): string {
    return http.send(requestJson);
  }
}
