// Messages the SDK reports through ferrite_error. @lazy @inline keeps only the ones a module
// uses in its binary. They speak to whoever called the function, so they name the fix.

// @ts-ignore: decorator
@lazy @inline export const E_ABORT: string = "abort() was called";

// @ts-ignore: decorator
@lazy @inline export const E_ARG_MISSING: string = "missing argument #";

// @ts-ignore: decorator
@lazy @inline export const E_ARG_HINT: string = " (WASM.CALL name arg0 arg1 ...)";

// @ts-ignore: decorator
@lazy @inline export const E_HTTP_NO_REPLY: string = "ferrite_http gave no response";

// @ts-ignore: decorator
@lazy @inline export const E_AT: string = " at ";
