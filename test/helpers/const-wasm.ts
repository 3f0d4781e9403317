// A hand-written function that always returns the same text: tells deployed versions apart.
import { wat } from "./wat.js";

/** A module whose entry `entry` (default `greet`) returns `reply` (plain ASCII, no quotes). */
export function constant(reply: string, entry = "greet"): Uint8Array {
  return wat(`(module
    (import "env" "ferrite_return" (func $return (param i32 i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "${reply}")
    (func (export "ferrite_alloc") (param i32) (result i32) (i32.const 1024))
    (func (export "${entry}") (param i32 i32) (result i32)
      (call $return (i32.const 16) (i32.const ${Buffer.byteLength(reply)})) (i32.const 0)))`);
}
