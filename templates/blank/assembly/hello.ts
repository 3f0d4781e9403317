// hello: greets its input.
//   WASM.CALL hello Ada   ->  Hello, Ada!
// An entry takes (input_ptr, input_len) and returns 0 for success. The SDK reads the input
// (the call's arguments joined with "\n") and sets the reply; see the SDK's README for keys,
// logs, time, randomness and JSON.
import { input, output } from "ferrite-wasm/sdk";

export function hello(ptr: i32, len: i32): i32 {
  const name = input.string(ptr, len);
  output.string("Hello, " + (name.length > 0 ? name : "world") + "!");
  return 0;
}
