// ABI v1 host imports (docs/abi.md), declared once and nowhere else. No logic here:
// the wrappers live in keys.ts, input.ts, output.ts, log.ts, time.ts and http.ts.
// Pointers are usize (i32 in wasm32), lengths i32; blocks are `[u32 LE n][n bytes]`
// placed with ferrite_alloc. The capability each import needs is in brackets.

/** Block holding the key's value, or 0 when the key does not exist. [read] */
// @ts-ignore: decorator
@external("env", "ferrite_get")
export declare function ferrite_get(keyPtr: usize, keyLen: i32): usize;

/** 1 when the key exists, else 0. [read] */
// @ts-ignore: decorator
@external("env", "ferrite_exists")
export declare function ferrite_exists(keyPtr: usize, keyLen: i32): i32;

/** Stores the value; 0 on success. [write] */
// @ts-ignore: decorator
@external("env", "ferrite_set")
export declare function ferrite_set(keyPtr: usize, keyLen: i32, valPtr: usize, valLen: i32): i32;

/** 1 when the key was removed, 0 when it was absent. [delete] */
// @ts-ignore: decorator
@external("env", "ferrite_del")
export declare function ferrite_del(keyPtr: usize, keyLen: i32): i32;

/** Sets the call's result; a later call replaces an earlier one. [none] */
// @ts-ignore: decorator
@external("env", "ferrite_return")
export declare function ferrite_return(ptr: usize, len: i32): void;

/** Marks the call failed with this UTF-8 message. [none] */
// @ts-ignore: decorator
@external("env", "ferrite_error")
export declare function ferrite_error(msgPtr: usize, msgLen: i32): void;

/** Writes a log line; level 0 trace, 1 debug, 2 info, 3 warn, 4 error. [log] */
// @ts-ignore: decorator
@external("env", "ferrite_log")
export declare function ferrite_log(level: i32, msgPtr: usize, msgLen: i32): void;

/** Milliseconds since the Unix epoch. [time] */
// @ts-ignore: decorator
@external("env", "ferrite_now")
export declare function ferrite_now(): i64;

/** Uniform in [0, 1). [random] */
// @ts-ignore: decorator
@external("env", "ferrite_random")
export declare function ferrite_random(): f64;

/** Number of arguments the call was given. [none] */
// @ts-ignore: decorator
@external("env", "ferrite_arg_count")
export declare function ferrite_arg_count(): i32;

/** Block holding argument `index` exactly as sent, or 0 when out of range. [none] */
// @ts-ignore: decorator
@external("env", "ferrite_arg")
export declare function ferrite_arg(index: i32): usize;

/** JSON request `{method,url,headers,body}` in; block with JSON `{status,headers,body}` out. [http] */
// @ts-ignore: decorator
@external("env", "ferrite_http")
export declare function ferrite_http(reqPtr: usize, reqLen: i32): usize;
