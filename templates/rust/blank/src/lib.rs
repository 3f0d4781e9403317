// hello: greets its input.
//   WASM.CALL hello Ada   ->  Hello, Ada!
// An entry takes (input_ptr, input_len) and returns 0 for success. The ferrite-wasm crate reads
// the input (the call's arguments joined with "\n") and sets the reply; see docs/lang-rust.md in
// ferrite-wasm for keys, logs, time, randomness and JSON.
use ferrite_wasm::{input, reply};

#[no_mangle]
pub extern "C" fn hello(ptr: *const u8, len: usize) -> i32 {
    let name = String::from_utf8_lossy(input(ptr, len)); // invalid UTF-8 reads as U+FFFD
    reply(format!("Hello, {}!", if name.is_empty() { "world" } else { &name }));
    0
}
