// The call's reply. The bytes of the last output.* call become the reply (a later call replaces an
// earlier one); an entry that returns 0 without any gives nil. output.error / fail make it an error.

import { JSON } from "json-as";
import { ferrite_error, ferrite_return } from "./bindings";
import { blockData, blockLength, stringBlock } from "./memory";

export namespace output {
  /** Replies with text (as UTF-8). */
  export function string(value: String): void {
    const block = stringBlock(value);
    ferrite_return(blockData(block), blockLength(block));
    heap.free(block);
  }

  /** Replies with bytes, exactly as given. */
  export function bytes(value: Uint8Array): void {
    ferrite_return(value.dataStart, value.byteLength);
  }

  /** Replies with `value` serialized as JSON (a json-as `@json` class, Map, array, ...). */
  export function json<T>(value: T): void {
    output.string(JSON.stringify<T>(value));
  }

  /** Marks the call failed: the client sees `FUNCERR <message>`. The entry should then return nonzero. */
  export function error(message: String): void {
    const block = stringBlock(message);
    ferrite_error(blockData(block), blockLength(block));
    heap.free(block);
  }
}

/** Fails the call with `message` and gives the status to return: `return fail("bad email")`. */
export function fail(message: string): i32 {
  output.error(message);
  return 1;
}
