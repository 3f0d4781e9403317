/*
 * ferrite.h: write Ferrite WebAssembly functions in C (ABI v1, see docs/abi.md).
 *
 *   #include "ferrite.h"
 *
 *   FERRITE_ENTRY(hello) int hello(const char *ptr, int len) {
 *     ferrite_buf out = ferrite_buf_new(32);
 *     ferrite_buf_str(&out, "Hello, ");
 *     ferrite_buf_bytes(&out, ptr, (size_t)len);
 *     ferrite_reply(out.data, out.len);
 *     return 0;
 *   }
 *
 * What it gives you: the host imports exactly as the specification declares them, the
 * ferrite_alloc export (a bump allocator: each call's instance is discarded, so nothing is
 * freed), blocks as (pointer, length) pairs, and small input/output helpers. No libc needed:
 * build with `ferrite-wasm build` or, by hand,
 *
 *   clang --target=wasm32 -mcpu=mvp -mbulk-memory -msign-ext -mnontrapping-fptoint \
 *     -mmutable-globals -Oz -nostdlib -Wl,--no-entry -Wl,--strip-all \
 *     -Wl,-z,stack-size=65536 -I<ferrite-wasm>/c -o build/hello.wasm src/hello.c
 *
 * (with no binaryen `wasm-opt` on PATH: clang would run it after linking; see docs/lang-c.md).
 *
 * Everything is `static` (one copy per translation unit) except ferrite_alloc and the few
 * memory functions clang may call on its own (memcpy, memset, memmove, memcmp), which are weak
 * definitions: include the header from several .c files and the linker keeps one of each.
 */
#ifndef FERRITE_H
#define FERRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if !defined(__wasm32__)
#error "ferrite.h builds WebAssembly modules: compile with clang --target=wasm32"
#endif
#if !defined(__wasm_bulk_memory__)
/* memcpy/memset below are the bulk-memory instructions; without them they would call themselves. */
#error "ferrite.h needs bulk memory (part of ABI v1): add -mbulk-memory"
#endif

#define FERRITE_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
/* Marks an entry function: exported under its own name, kept by the linker. */
#define FERRITE_ENTRY(name) __attribute__((export_name(#name), used))

/* ---- The host imports (module "env"), as the specification declares them ----------------- */

/* Pointer to a block [u32 LE n][n bytes] holding the value, or 0 when the key is absent. [read] */
FERRITE_IMPORT(ferrite_get) uint8_t *ferrite_get(const void *key, size_t key_len);
/* 0 on success. [write] */
FERRITE_IMPORT(ferrite_set) int32_t ferrite_set(const void *key, size_t key_len, const void *val, size_t val_len);
/* 1 when the key was removed, 0 when it was absent. [delete] */
FERRITE_IMPORT(ferrite_del) int32_t ferrite_del(const void *key, size_t key_len);
/* 1 when the key exists, else 0. [read] */
FERRITE_IMPORT(ferrite_exists) int32_t ferrite_exists(const void *key, size_t key_len);
/* Sets the call's result; a later call replaces an earlier one. */
FERRITE_IMPORT(ferrite_return) void ferrite_return(const void *val, size_t val_len);
/* Marks the call failed with this UTF-8 message. */
FERRITE_IMPORT(ferrite_error) void ferrite_error(const void *msg, size_t msg_len);
/* Writes a log line; level 0 trace, 1 debug, 2 info, 3 warn, 4 error. [log] */
FERRITE_IMPORT(ferrite_log) void ferrite_log(int32_t level, const void *msg, size_t msg_len);
/* Milliseconds since the Unix epoch. [time] */
FERRITE_IMPORT(ferrite_now) int64_t ferrite_now(void);
/* Uniform in [0, 1). [random] */
FERRITE_IMPORT(ferrite_random) double ferrite_random(void);
/* Number of arguments the call was given. */
FERRITE_IMPORT(ferrite_arg_count) int32_t ferrite_arg_count(void);
/* Block holding argument `index` exactly as sent, or 0 when out of range. */
FERRITE_IMPORT(ferrite_arg) uint8_t *ferrite_arg(int32_t index);
/* JSON request in; block holding the JSON response out. [http] */
FERRITE_IMPORT(ferrite_http) uint8_t *ferrite_http(const void *req, size_t req_len);

enum { FERRITE_TRACE = 0, FERRITE_DEBUG = 1, FERRITE_INFO = 2, FERRITE_WARN = 3, FERRITE_ERROR = 4 };

/* ---- Memory --------------------------------------------------------------------------------- */

/* Memory functions clang may emit calls to (struct copies, zeroing). With -mbulk-memory the
 * builtins become single memory.copy / memory.fill instructions. */
__attribute__((weak)) void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}
__attribute__((weak)) void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}
__attribute__((weak)) void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
__attribute__((weak)) int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/* The heap starts where the linker ends static data (and, with the default layout, the stack). */
extern unsigned char __heap_base;

/* ABI v1 export: `size` writable bytes, 8-byte aligned, or 0 when memory cannot grow. The host
 * calls it for the input and for every block it hands back; guest code may use it too. */
__attribute__((weak, export_name("ferrite_alloc"))) void *ferrite_alloc(int32_t size) {
  static uintptr_t next;
  if (size < 0) return 0;
  if (!next) next = (uintptr_t)&__heap_base;
  uintptr_t ptr = (next + 7) & ~(uintptr_t)7, end = ptr + (uintptr_t)size;
  if (end < ptr) return 0; /* past 4 GiB */
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1) return 0;
  next = end;
  return (void *)ptr;
}

/* ---- Bytes, blocks, strings ----------------------------------------------------------------- */

/* A byte range: the input, a block's contents, an argument, a value. Not NUL-terminated. */
typedef struct {
  const uint8_t *ptr;
  size_t len;
} ferrite_bytes;

static inline size_t ferrite_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* True when the range equals the NUL-terminated string `s`. */
static inline bool ferrite_bytes_eq(ferrite_bytes b, const char *s) {
  size_t n = ferrite_strlen(s);
  return b.len == n && memcmp(b.ptr, s, n) == 0;
}

/* The contents of a block the host placed; found is false for a 0 pointer. */
static inline bool ferrite_block(const uint8_t *block, ferrite_bytes *out) {
  if (!block) {
    out->ptr = 0;
    out->len = 0;
    return false;
  }
  out->len = (size_t)block[0] | (size_t)block[1] << 8 | (size_t)block[2] << 16 | (size_t)block[3] << 24;
  out->ptr = block + 4;
  return true;
}

/* The entry's input (all arguments joined with "\n"; empty when there are none). */
static inline ferrite_bytes ferrite_input(const void *ptr, int32_t len) {
  ferrite_bytes b = {(const uint8_t *)ptr, len > 0 ? (size_t)len : 0};
  return b;
}

/* ---- Keys and arguments --------------------------------------------------------------------- */

/* The value at `key` (NUL-terminated) into *value; false when the key does not exist. [read] */
static inline bool ferrite_get_str(const char *key, ferrite_bytes *value) {
  return ferrite_block(ferrite_get(key, ferrite_strlen(key)), value);
}
/* Stores a NUL-terminated value; true when stored. [write] */
static inline bool ferrite_set_str(const char *key, const char *value) {
  return ferrite_set(key, ferrite_strlen(key), value, ferrite_strlen(value)) == 0;
}
/* True when the key existed. [delete] */
static inline bool ferrite_del_str(const char *key) {
  return ferrite_del(key, ferrite_strlen(key)) == 1;
}
/* [read] */
static inline bool ferrite_exists_str(const char *key) {
  return ferrite_exists(key, ferrite_strlen(key)) == 1;
}
/* Argument `index` exactly as sent into *arg; false when out of range. */
static inline bool ferrite_arg_bytes(int32_t index, ferrite_bytes *arg) {
  return ferrite_block(ferrite_arg(index), arg);
}

/* ---- Reply, errors, logs -------------------------------------------------------------------- */

static inline void ferrite_reply(const void *ptr, size_t len) { ferrite_return(ptr, len); }
static inline void ferrite_reply_str(const char *s) { ferrite_return(s, ferrite_strlen(s)); }
/* Fails the call with `message` and gives the status to return: `return ferrite_fail("bad email");` */
static inline int ferrite_fail(const char *message) {
  ferrite_error(message, ferrite_strlen(message));
  return 1;
}
static inline void ferrite_log_str(int32_t level, const char *message) {
  ferrite_log(level, message, ferrite_strlen(message));
}

/* ---- Building output ------------------------------------------------------------------------ */

/* A growable byte buffer on the ferrite_alloc heap. `ok` turns false (and stays false) when
 * memory runs out; the call then fails with the memory error anyway. */
typedef struct {
  uint8_t *data;
  size_t len, cap;
  bool ok;
} ferrite_buf;

static inline ferrite_buf ferrite_buf_new(size_t cap) {
  ferrite_buf b = {(uint8_t *)ferrite_alloc((int32_t)(cap ? cap : 16)), 0, cap ? cap : 16, true};
  b.ok = b.data != 0;
  return b;
}

static inline bool ferrite_buf_reserve(ferrite_buf *b, size_t more) {
  if (!b->ok) return false;
  if (b->len + more <= b->cap) return true;
  size_t cap = b->cap * 2;
  if (cap < b->len + more) cap = b->len + more;
  if (cap > 0x7fffffff) return b->ok = false;
  uint8_t *data = (uint8_t *)ferrite_alloc((int32_t)cap);
  if (!data) return b->ok = false;
  memcpy(data, b->data, b->len);
  b->data = data;
  b->cap = cap;
  return true;
}

static inline void ferrite_buf_bytes(ferrite_buf *b, const void *ptr, size_t len) {
  if (!ferrite_buf_reserve(b, len)) return;
  memcpy(b->data + b->len, ptr, len);
  b->len += len;
}

static inline void ferrite_buf_str(ferrite_buf *b, const char *s) { ferrite_buf_bytes(b, s, ferrite_strlen(s)); }

static inline void ferrite_buf_char(ferrite_buf *b, char c) { ferrite_buf_bytes(b, &c, 1); }

/* Appends `value` in decimal. */
static inline void ferrite_buf_int(ferrite_buf *b, int64_t value) {
  char digits[20];
  size_t n = 0;
  uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (value < 0) ferrite_buf_char(b, '-');
  while (n) ferrite_buf_char(b, digits[--n]);
}

/* Appends `s` as a JSON string, quotes included. */
static inline void ferrite_buf_json_string(ferrite_buf *b, const uint8_t *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  ferrite_buf_char(b, '"');
  for (size_t i = 0; i < len; i++) {
    uint8_t c = s[i];
    if (c == '"' || c == '\\') {
      ferrite_buf_char(b, '\\');
      ferrite_buf_char(b, (char)c);
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      ferrite_buf_bytes(b, esc, 6);
    } else {
      ferrite_buf_char(b, (char)c);
    }
  }
  ferrite_buf_char(b, '"');
}

/* Replies with the buffer's contents. */
static inline void ferrite_reply_buf(const ferrite_buf *b) { ferrite_return(b->data, b->len); }

#endif /* FERRITE_H */
