// The call's input. `input` reads what the entry received: the arguments joined with "\n"
// (so one JSON argument arrives unchanged). `args` reads each argument exactly, binary-safe.
// Inside these namespaces the type is spelt `String`: a member named `string` hides `string`.

import { JSON } from "json-as";
import { ferrite_arg, ferrite_arg_count } from "./bindings";
import { copyBytes, decodeUtf8, takeBlockBytes, takeBlockString } from "./memory";
import { panic } from "./abort";
import { E_ARG_HINT, E_ARG_MISSING } from "./errors";

export namespace input {
  /** The entry's input as text (UTF-8; invalid bytes read as U+FFFD). */
  export function string(ptr: i32, len: i32): String {
    return decodeUtf8(<usize>ptr, <usize>len);
  }

  /** The entry's input as bytes, exactly as sent. */
  export function bytes(ptr: i32, len: i32): Uint8Array {
    return copyBytes(<usize>ptr, len);
  }

  /** The entry's input parsed as JSON into T (a json-as `@json` class, Map, array, ...). */
  export function json<T>(ptr: i32, len: i32): T {
    return JSON.parse<T>(decodeUtf8(<usize>ptr, <usize>len));
  }
}

export namespace args {
  /** How many arguments the call was given. */
  export function count(): i32 {
    return ferrite_arg_count();
  }

  /** Argument `index` as text, or null when there is no such argument. */
  export function string(index: i32): String | null {
    return takeBlockString(ferrite_arg(index));
  }

  /** Argument `index` as bytes, exactly as sent, or null when there is no such argument. */
  export function bytes(index: i32): Uint8Array | null {
    return takeBlockBytes(ferrite_arg(index));
  }

  /** Argument `index` parsed as JSON into T; fails the call when the argument is missing. */
  export function json<T>(index: i32): T {
    const text = takeBlockString(ferrite_arg(index));
    if (text === null) panic(E_ARG_MISSING + index.toString() + E_ARG_HINT);
    return JSON.parse<T>(changetype<String>(text));
  }
}
