// hello: greets its input.
//   WASM.CALL hello Ada   ->  Hello, Ada!
// An entry takes (input_ptr, input_len) and returns 0 for success. ferrite.h declares the host
// functions and ferrite_alloc, and has helpers for input and output; see docs/lang-c.md in
// ferrite-wasm for keys, logs, time, randomness and JSON.
#include "ferrite.h"

FERRITE_ENTRY(hello) int hello(const char *ptr, int len) {
  ferrite_bytes name = ferrite_input(ptr, len);
  ferrite_buf out = ferrite_buf_new(16 + name.len);
  ferrite_buf_str(&out, "Hello, ");
  if (name.len > 0) ferrite_buf_bytes(&out, name.ptr, name.len);
  else ferrite_buf_str(&out, "world");
  ferrite_buf_char(&out, '!');
  ferrite_reply_buf(&out);
  return 0;
}
