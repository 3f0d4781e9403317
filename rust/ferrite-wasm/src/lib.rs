//! Write Ferrite WebAssembly functions in Rust (ABI v1, see docs/abi.md in ferrite-wasm).
//!
//! ```ignore
//! use ferrite_wasm::*;
//!
//! #[no_mangle]
//! pub extern "C" fn hello(ptr: *const u8, len: usize) -> i32 {
//!     let name = match input_str(ptr, len) {
//!         Ok(name) => name,
//!         Err(_) => return fail("the input is not UTF-8"),
//!     };
//!     reply(format!("Hello, {}!", name));
//!     0
//! }
//! ```
//!
//! What the crate does for you:
//! - exports `ferrite_alloc`, which the host uses to hand the module its input and blocks;
//! - turns a panic into `FUNCERR <message> at <file>:<line>:<column>` (through `ferrite_error`)
//!   instead of a bare `unreachable` trap;
//! - wraps every host function in a safe function with Rust types: [`get`], [`set`], [`del`],
//!   [`exists`], [`reply`], [`error`], [`log`], [`now`], [`random`], [`args`], [`http`];
//! - keeps the specification's names too: [`ferrite_return`]`(ptr, len)` and the other
//!   `ferrite_*` functions are safe functions here, and the raw imports are in [`sys`].
//!
//! Build with `ferrite-wasm build` (cargo for `wasm32-unknown-unknown`, stripped, 64 KB stack),
//! or see docs/lang-rust.md for the plain cargo settings.

use std::alloc::{alloc, dealloc, Layout};
use std::cell::UnsafeCell;
use std::fmt::Write as _;
use std::sync::Once;

/// The ABI's host imports exactly as the specification declares them (module `env`).
///
/// Prefer the safe functions at the crate root. Outside wasm32 (e.g. `cargo test` on the build
/// machine) they exist so the crate compiles, and panic when called.
pub mod sys {
    #[cfg(target_arch = "wasm32")]
    #[link(wasm_import_module = "env")]
    extern "C" {
        /// Pointer to a block `[u32 LE n][n bytes]` holding the value, or null when the key is absent. [read]
        pub fn ferrite_get(key: *const u8, key_len: usize) -> *mut u8;
        /// 0 on success. [write]
        pub fn ferrite_set(key: *const u8, key_len: usize, val: *const u8, val_len: usize) -> i32;
        /// 1 when the key was removed, 0 when it was absent. [delete]
        pub fn ferrite_del(key: *const u8, key_len: usize) -> i32;
        /// 1 when the key exists, else 0. [read]
        pub fn ferrite_exists(key: *const u8, key_len: usize) -> i32;
        /// Sets the call's result; a later call replaces an earlier one.
        pub fn ferrite_return(val: *const u8, val_len: usize);
        /// Marks the call failed with this UTF-8 message.
        pub fn ferrite_error(msg: *const u8, msg_len: usize);
        /// Writes a log line; level 0 trace, 1 debug, 2 info, 3 warn, 4 error. [log]
        pub fn ferrite_log(level: i32, msg: *const u8, msg_len: usize);
        /// Milliseconds since the Unix epoch. [time]
        pub fn ferrite_now() -> i64;
        /// Uniform in [0, 1). [random]
        pub fn ferrite_random() -> f64;
        /// Number of arguments the call was given.
        pub fn ferrite_arg_count() -> i32;
        /// Block holding argument `index` exactly as sent, or null when out of range.
        pub fn ferrite_arg(index: i32) -> *mut u8;
        /// JSON request in; block holding the JSON response out. [http]
        pub fn ferrite_http(req: *const u8, req_len: usize) -> *mut u8;
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::missing_safety_doc)]
    mod host {
        const WHY: &str = "Ferrite host functions exist only inside a wasm32 module run by Ferrite";
        pub unsafe fn ferrite_get(_: *const u8, _: usize) -> *mut u8 { panic!("{}", WHY) }
        pub unsafe fn ferrite_set(_: *const u8, _: usize, _: *const u8, _: usize) -> i32 { panic!("{}", WHY) }
        pub unsafe fn ferrite_del(_: *const u8, _: usize) -> i32 { panic!("{}", WHY) }
        pub unsafe fn ferrite_exists(_: *const u8, _: usize) -> i32 { panic!("{}", WHY) }
        pub unsafe fn ferrite_return(_: *const u8, _: usize) { panic!("{}", WHY) }
        pub unsafe fn ferrite_error(_: *const u8, _: usize) { panic!("{}", WHY) }
        pub unsafe fn ferrite_log(_: i32, _: *const u8, _: usize) { panic!("{}", WHY) }
        pub unsafe fn ferrite_now() -> i64 { panic!("{}", WHY) }
        pub unsafe fn ferrite_random() -> f64 { panic!("{}", WHY) }
        pub unsafe fn ferrite_arg_count() -> i32 { panic!("{}", WHY) }
        pub unsafe fn ferrite_arg(_: i32) -> *mut u8 { panic!("{}", WHY) }
        pub unsafe fn ferrite_http(_: *const u8, _: usize) -> *mut u8 { panic!("{}", WHY) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub use host::*;
}

// ---------------------------------------------------------------------------------------------
// Memory: ferrite_alloc and blocks

/// The ABI's allocator export: `size` writable bytes, 8-byte aligned, or null when memory is
/// exhausted. The host calls it for the input and for every block it hands back.
#[no_mangle]
pub extern "C" fn ferrite_alloc(size: i32) -> *mut u8 {
    init();
    match block_layout(size) {
        // SAFETY: the layout has a nonzero size; alloc returns null when memory cannot grow.
        Some(layout) => unsafe { alloc(layout) },
        None => std::ptr::null_mut(),
    }
}

fn block_layout(size: i32) -> Option<Layout> {
    if size < 0 {
        return None;
    }
    Layout::from_size_align((size as usize).max(1), 8).ok()
}

/// Copies a block (`[u32 LE n][n bytes]`, placed by the host through ferrite_alloc) into a Vec
/// and frees it. None for a null pointer.
fn take_block(block: *mut u8) -> Option<Vec<u8>> {
    if block.is_null() {
        return None;
    }
    // SAFETY: the host wrote a complete block at `block`, allocated by ferrite_alloc(4 + n).
    unsafe {
        let mut header = [0u8; 4];
        std::ptr::copy_nonoverlapping(block, header.as_mut_ptr(), 4);
        let n = u32::from_le_bytes(header) as usize;
        let bytes = std::slice::from_raw_parts(block.add(4), n).to_vec();
        if let Some(layout) = block_layout((n + 4) as i32) {
            dealloc(block, layout);
        }
        Some(bytes)
    }
}

#[cfg(all(target_arch = "wasm32", feature = "bump-allocator"))]
#[global_allocator]
static ALLOCATOR: bump::Bump = bump::Bump::new();

/// The default global allocator (feature `bump-allocator`): memory above the linker's
/// `__heap_base`, handed out in order. Freeing or resizing the newest block works in place (so a
/// growing Vec or String does not leave copies behind); other frees are no-ops, which is what a
/// per-call instance wants: the whole heap is reset when the call ends.
#[cfg(all(target_arch = "wasm32", feature = "bump-allocator"))]
mod bump {
    use core::arch::wasm32::{memory_grow, memory_size};
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::Cell;

    extern "C" {
        static __heap_base: u8;
    }

    pub struct Bump {
        /// First free byte; 0 until the first allocation.
        next: Cell<usize>,
        /// Start of the newest block, 0 when it was freed.
        newest: Cell<usize>,
    }

    // SAFETY: wasm32 guests are single-threaded.
    unsafe impl Sync for Bump {}

    impl Bump {
        pub const fn new() -> Bump {
            Bump { next: Cell::new(0), newest: Cell::new(0) }
        }

        /// Grows memory so that `end` is inside it; false when memory.grow refuses.
        fn reach(end: usize) -> bool {
            let have = memory_size(0) * 65536;
            end <= have || memory_grow(0, (end - have + 65535) / 65536) != usize::MAX
        }

        fn is_newest(&self, ptr: *mut u8, size: usize) -> bool {
            ptr as usize == self.newest.get() && ptr as usize + size == self.next.get()
        }
    }

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let mut next = self.next.get();
            if next == 0 {
                next = &__heap_base as *const u8 as usize;
            }
            let start = match next.checked_add(layout.align() - 1) {
                Some(n) => n & !(layout.align() - 1),
                None => return std::ptr::null_mut(),
            };
            match start.checked_add(layout.size()) {
                Some(end) if Self::reach(end) => {
                    self.next.set(end);
                    self.newest.set(start);
                    start as *mut u8
                }
                _ => std::ptr::null_mut(),
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if self.is_newest(ptr, layout.size()) {
                self.next.set(ptr as usize);
                self.newest.set(0);
            }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if self.is_newest(ptr, layout.size()) {
                return match (ptr as usize).checked_add(new_size) {
                    Some(end) if Self::reach(end) => {
                        self.next.set(end);
                        ptr
                    }
                    _ => std::ptr::null_mut(),
                };
            }
            let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
            }
            moved
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Panics

static INIT: Once = Once::new();

/// Routes panics to `ferrite_error` as `<message> at <file>:<line>:<column>`. Every function of
/// this crate and `ferrite_alloc` (which the host calls before the entry whenever there is input)
/// call it; call it first thing in an entry that may panic before using the crate on empty input.
pub fn init() {
    INIT.call_once(|| std::panic::set_hook(Box::new(report_panic)));
}

/// Longest panic message sent, in bytes.
const PANIC_CAPACITY: usize = 1024;

/// Writes into a fixed buffer (no heap: a panic may come from running out of memory), cutting at
/// a character boundary when full.
struct FixedWriter {
    buf: [u8; PANIC_CAPACITY],
    len: usize,
}

impl std::fmt::Write for FixedWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = PANIC_CAPACITY - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// The panic message buffer: static, so reporting a panic needs no heap.
struct PanicBuffer(UnsafeCell<FixedWriter>);

// SAFETY: wasm32 guests are single-threaded, and the only user is the panic hook, which does not
// re-enter (a panic inside a panic hook aborts).
unsafe impl Sync for PanicBuffer {}

static PANIC_BUFFER: PanicBuffer = PanicBuffer(UnsafeCell::new(FixedWriter { buf: [0; PANIC_CAPACITY], len: 0 }));

// PanicInfo is PanicHookInfo from Rust 1.81; the old name keeps the crate building on 1.63.
#[allow(deprecated)]
fn report_panic(info: &std::panic::PanicInfo<'_>) {
    // SAFETY: see PanicBuffer: nothing else holds a reference to it.
    let w = unsafe { &mut *PANIC_BUFFER.0.get() };
    w.len = 0;
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(|s| s.as_str()))
        .unwrap_or("panic");
    let _ = w.write_str(message);
    if let Some(at) = info.location() {
        let _ = write!(w, " at {}:{}:{}", at.file(), at.line(), at.column());
    }
    // SAFETY: the buffer holds w.len initialized bytes; the host copies them during the call.
    unsafe { sys::ferrite_error(w.buf.as_ptr(), w.len) };
}

// ---------------------------------------------------------------------------------------------
// Input and arguments

/// The entry's input, as bytes: pass the entry's own `(ptr, len)`. The input is all arguments
/// joined with `\n`; it is empty (and `ptr` is 0) when the call had none.
///
/// Panics (with a message) when `ptr..ptr+len` is not inside the module's memory.
// Safe on purpose: the range is checked against the memory's size, and the input block belongs
// to the call (the host placed it with ferrite_alloc and nothing else refers to it).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn input(ptr: *const u8, len: usize) -> &'static [u8] {
    init();
    if len == 0 {
        return &[];
    }
    let end = (ptr as usize).checked_add(len);
    assert!(
        !ptr.is_null() && end.map_or(false, |end| end <= memory_bytes()),
        "input(ptr, len) was given a range outside memory: pass the entry function's own parameters"
    );
    // SAFETY: the range is inside linear memory; the host placed the input there with
    // ferrite_alloc and nothing frees it during the call.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// The entry's input as UTF-8 text; an error when it is not valid UTF-8.
pub fn input_str(ptr: *const u8, len: usize) -> Result<&'static str, std::str::Utf8Error> {
    std::str::from_utf8(input(ptr, len))
}

#[cfg(target_arch = "wasm32")]
fn memory_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * 65536
}

#[cfg(not(target_arch = "wasm32"))]
fn memory_bytes() -> usize {
    usize::MAX
}

/// Number of arguments the call was given.
pub fn arg_count() -> usize {
    init();
    // SAFETY: no pointers involved.
    unsafe { sys::ferrite_arg_count() }.max(0) as usize
}

/// Argument `index`, exactly as sent (binary-safe: it may contain `\n`); None when out of range.
pub fn arg(index: usize) -> Option<Vec<u8>> {
    init();
    if index > i32::MAX as usize {
        return None;
    }
    // SAFETY: the host returns null or a block it placed with ferrite_alloc.
    take_block(unsafe { sys::ferrite_arg(index as i32) })
}

/// Argument `index` as text (invalid UTF-8 becomes U+FFFD); None when out of range.
pub fn arg_string(index: usize) -> Option<String> {
    arg(index).map(into_string)
}

/// Every argument, exactly as sent.
pub fn args() -> Vec<Vec<u8>> {
    (0..arg_count()).filter_map(arg).collect()
}

/// Every argument as text (invalid UTF-8 becomes U+FFFD).
pub fn args_string() -> Vec<String> {
    args().into_iter().map(into_string).collect()
}

fn into_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

/// The value at `key`, or None when the key does not exist. Needs `read`.
pub fn get(key: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    init();
    let key = key.as_ref();
    // SAFETY: the host copies the key and returns null or a block placed with ferrite_alloc.
    take_block(unsafe { sys::ferrite_get(key.as_ptr(), key.len()) })
}

/// The value at `key` as text (invalid UTF-8 becomes U+FFFD), or None when absent. Needs `read`.
pub fn get_string(key: impl AsRef<[u8]>) -> Option<String> {
    get(key).map(into_string)
}

/// Stores `value` at `key`; true when stored. Needs `write`. Kept only if the call succeeds.
pub fn set(key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> bool {
    init();
    let (key, value) = (key.as_ref(), value.as_ref());
    // SAFETY: the host copies both ranges during the call.
    unsafe { sys::ferrite_set(key.as_ptr(), key.len(), value.as_ptr(), value.len()) == 0 }
}

/// Deletes `key`; true when it existed. Needs `delete`.
pub fn del(key: impl AsRef<[u8]>) -> bool {
    init();
    let key = key.as_ref();
    // SAFETY: the host copies the key.
    unsafe { sys::ferrite_del(key.as_ptr(), key.len()) == 1 }
}

/// True when `key` exists. Needs `read`.
pub fn exists(key: impl AsRef<[u8]>) -> bool {
    init();
    let key = key.as_ref();
    // SAFETY: the host copies the key.
    unsafe { sys::ferrite_exists(key.as_ptr(), key.len()) == 1 }
}

// ---------------------------------------------------------------------------------------------
// Reply, errors, logs

/// Sets the call's reply (a later call replaces an earlier one). Return 0 from the entry to send it.
pub fn reply(value: impl AsRef<[u8]>) {
    init();
    let value = value.as_ref();
    // SAFETY: the host copies the bytes.
    unsafe { sys::ferrite_return(value.as_ptr(), value.len()) }
}

/// Marks the call failed: the client gets `FUNCERR <message>` and nothing the call wrote is kept.
/// The entry should then return nonzero; [`fail`] does both.
pub fn error(message: impl AsRef<str>) {
    init();
    let message = message.as_ref();
    // SAFETY: the host copies the bytes.
    unsafe { sys::ferrite_error(message.as_ptr(), message.len()) }
}

/// Fails the call with `message` and gives the status to return: `return fail("bad email")`.
pub fn fail(message: impl AsRef<str>) -> i32 {
    error(message);
    1
}

/// Log levels, as `ferrite_log` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// Writes a log line at `level`. Needs `log`.
pub fn log(level: Level, message: impl AsRef<str>) {
    init();
    let message = message.as_ref();
    // SAFETY: the host copies the bytes.
    unsafe { sys::ferrite_log(level as i32, message.as_ptr(), message.len()) }
}

/// Milliseconds since the Unix epoch, from the host. Needs `time`.
pub fn now() -> i64 {
    init();
    // SAFETY: no pointers involved.
    unsafe { sys::ferrite_now() }
}

/// Uniform in [0, 1), from the host. Needs `random`.
pub fn random() -> f64 {
    init();
    // SAFETY: no pointers involved.
    unsafe { sys::ferrite_random() }
}

/// Sends a request given as JSON (`{"method":"GET","url":"https://...","headers":{},"body":""}`)
/// and returns the response JSON (`{"status":200,"headers":{...},"body":"..."}`; status 0 and
/// `error` on failure). Needs `http`, and only hosts the server allow-lists can be reached.
pub fn http(request_json: impl AsRef<str>) -> String {
    init();
    let request = request_json.as_ref();
    // SAFETY: the host copies the request and returns a block placed with ferrite_alloc.
    take_block(unsafe { sys::ferrite_http(request.as_ptr(), request.len()) })
        .map(into_string)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The specification's names, as safe functions

/// The specification's `ferrite_return(ptr, len)`, callable without `unsafe`: the host copies
/// `len` bytes from `ptr` and fails the call (it never reads outside memory) when they are not
/// all inside the module's memory.
// Safe on purpose (the specification calls it without `unsafe`): the host only reads the
// range, after checking it lies inside memory.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn ferrite_return(ptr: *const u8, len: usize) {
    init();
    // SAFETY: the host bounds-checks the range and only reads it.
    unsafe { sys::ferrite_return(ptr, len) }
}

/// The specification's `ferrite_error(ptr, len)`, callable without `unsafe` (see [`ferrite_return`]).
// Safe on purpose (the specification calls it without `unsafe`): the host only reads the
// range, after checking it lies inside memory.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn ferrite_error(ptr: *const u8, len: usize) {
    init();
    // SAFETY: the host bounds-checks the range and only reads it.
    unsafe { sys::ferrite_error(ptr, len) }
}

/// The specification's `ferrite_log(level, ptr, len)`, callable without `unsafe` (see [`ferrite_return`]).
// Safe on purpose (the specification calls it without `unsafe`): the host only reads the
// range, after checking it lies inside memory.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn ferrite_log(level: i32, ptr: *const u8, len: usize) {
    init();
    // SAFETY: the host bounds-checks the range and only reads it.
    unsafe { sys::ferrite_log(level, ptr, len) }
}

/// The specification's `ferrite_get(&key)`: the value as text, or None when absent. Needs `read`.
pub fn ferrite_get(key: &str) -> Option<String> {
    get_string(key)
}

/// The specification's `ferrite_set`: true when stored. Needs `write`.
pub fn ferrite_set(key: &str, value: &str) -> bool {
    set(key, value)
}

/// The specification's `ferrite_del`: true when the key existed. Needs `delete`.
pub fn ferrite_del(key: &str) -> bool {
    del(key)
}

/// The specification's `ferrite_exists`. Needs `read`.
pub fn ferrite_exists(key: &str) -> bool {
    exists(key)
}

/// The specification's `parse_string(ptr, len)`: the entry's input as text (invalid UTF-8 becomes
/// U+FFFD). Pass the entry's own parameters.
pub fn parse_string(ptr: *const u8, len: usize) -> String {
    String::from_utf8_lossy(input(ptr, len)).into_owned()
}

/// The specification's `parse_keys(ptr, len)`: the keys a call was given, one per argument, each
/// exactly as sent (the input is the same arguments joined with `\n`, so a key containing `\n`
/// survives here and not in a split of the input). `ptr` and `len` are accepted for the
/// specification's signature.
pub fn parse_keys(_ptr: *const u8, _len: usize) -> Vec<String> {
    args_string()
}

/// The specification's `ferrite_now()`: milliseconds since the Unix epoch. Needs `time`.
pub fn ferrite_now() -> i64 {
    now()
}

/// The specification's `ferrite_random()`: uniform in [0, 1). Needs `random`.
pub fn ferrite_random() -> f64 {
    random()
}
