//! What the kit takes from the host: the `agentshape.log` import, WASI
//! randomness, and (in wasm) the ABI exports `agentshape_abi_v1`, `alloc`
//! and `_initialize`. Natively (unit tests) logs go to stderr and randomness
//! comes from the operating system.

use crate::Error;

/// A log level of `agentshape.log` (plugins/ABI.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Level {
    /// Debug (host slog level DEBUG).
    Debug = 0,
    /// Info.
    Info = 1,
    /// Warn.
    Warn = 2,
    /// Error.
    Error = 3,
}

/// Sends `message` to the host's log at `level`; the host tags it with the
/// plugin's name, truncates it past 8 KiB and keeps at most 256 messages a
/// call. Never log secrets: the host's log is not a safe place for them.
pub fn log(level: Level, message: &str) {
    imp::log(level, message)
}

/// Logs at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Logs at info level.
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Logs at error level.
pub fn error(message: &str) {
    log(Level::Error, message)
}

/// The code of a refusal when the host's randomness cannot be read.
pub const CODE_NO_RANDOMNESS: &str = "no_randomness";

/// Fills `buf` with random bytes from the host (WASI `random_get`; the
/// operating system natively). In the host's deterministic mode they come
/// from a stream seeded per call, so tests repeat.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), Error> {
    imp::random(buf).map_err(|why| Error::new(CODE_NO_RANDOMNESS, format!("cannot read the host's randomness: {}", why)))
}

/// A random RFC 9562 version 4 UUID in its canonical text form.
pub fn random_uuid() -> Result<String, Error> {
    let mut u = [0u8; 16];
    random_bytes(&mut u)?;
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    Ok(format_uuid(&u))
}

/// Formats 16 bytes as a UUID, 8-4-4-4-12 lower-case hex digits.
pub fn format_uuid(u: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if i == 4 || i == 6 || i == 8 || i == 10 {
            s.push('-');
        }
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]
compile_error!("agentshape plugins are WASI modules: build with --target wasm32-wasi (rustc 1.63 to 1.83) or wasm32-wasip1");

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::Level;
    use std::cell::UnsafeCell;

    #[link(wasm_import_module = "agentshape")]
    extern "C" {
        #[link_name = "log"]
        fn agentshape_log(level: i32, ptr: *const u8, len: usize);
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        #[link_name = "random_get"]
        fn wasi_random_get(buf: *mut u8, len: usize) -> u16;
    }

    pub fn log(level: Level, message: &str) {
        unsafe { agentshape_log(level as i32, message.as_ptr(), message.len()) }
    }

    pub fn random(buf: &mut [u8]) -> Result<(), String> {
        if buf.is_empty() {
            return Ok(());
        }
        match unsafe { wasi_random_get(buf.as_mut_ptr(), buf.len()) } {
            0 => Ok(()),
            errno => Err(format!("WASI random_get failed with errno {}", errno)),
        }
    }

    /// The buffers the kit hands to the host: the input from `alloc` until
    /// the end of the `shape` call that reads it, the output from the end of
    /// `shape` until the next call into the instance (`alloc`).
    struct Buffers {
        input: Vec<u8>,
        output: Vec<u8>,
    }

    struct Shared(UnsafeCell<Buffers>);

    // A wasm32-wasi instance runs one thread, and the host makes one call at a time.
    unsafe impl Sync for Shared {}

    static BUFFERS: Shared = Shared(UnsafeCell::new(Buffers { input: Vec::new(), output: Vec::new() }));

    fn buffers() -> &'static mut Buffers {
        // One thread, and no caller keeps the reference across a call.
        unsafe { &mut *BUFFERS.0.get() }
    }

    /// The ABI v1 marker: its presence declares that the module speaks ABI v1.
    #[export_name = "agentshape_abi_v1"]
    pub extern "C" fn abi_marker() {}

    extern "C" {
        fn __wasm_call_ctors();
    }

    /// Makes the module a reactor: the host calls `_initialize` once per
    /// instance (without it the linker would re-run the C runtime's
    /// constructors around every export call). It also installs the panic
    /// hook that sends a panic's message and location to the host's log
    /// before the module traps.
    #[export_name = "_initialize"]
    pub extern "C" fn initialize() {
        unsafe { __wasm_call_ctors() };
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let what = match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
                (Some(s), _) => s,
                (None, Some(s)) => s.as_str(),
                (None, None) => "(no message)",
            };
            let text = match info.location() {
                Some(l) => format!("panic: {} at {}:{}:{}", what, l.file(), l.line(), l.column()),
                None => format!("panic: {}", what),
            };
            log(Level::Error, &text);
        }));
    }

    /// Returns `size` writable bytes for the host's input envelope. The host
    /// calls it once per call, first: the previous call's output is freed here.
    #[export_name = "alloc"]
    pub extern "C" fn alloc(size: i32) -> *mut u8 {
        let b = buffers();
        b.output = Vec::new();
        if size < 0 {
            return std::ptr::null_mut();
        }
        b.input = vec![0u8; size as usize];
        b.input.as_mut_ptr()
    }

    /// The body of the `shape` export [`crate::export_shape!`] writes.
    ///
    /// # Safety
    /// `ptr .. ptr+len` must be readable: the range `alloc` returned, as the host passes it.
    pub unsafe fn shape<F>(ptr: *const u8, len: i32, f: F) -> u64
    where
        F: FnOnce(crate::Envelope) -> Result<crate::Request, crate::Error>,
    {
        let input: &[u8] = if len <= 0 || ptr.is_null() { &[] } else { std::slice::from_raw_parts(ptr, len as usize) };
        let out = crate::handle(f, input);
        let b = buffers();
        b.input = Vec::new();
        b.output = out;
        ((b.output.as_ptr() as u64) << 32) | b.output.len() as u64
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::Level;
    use std::io::Read;

    pub fn log(level: Level, message: &str) {
        let tag = match level {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        eprintln!("agentshape.log {} {}", tag, message);
    }

    pub fn random(buf: &mut [u8]) -> Result<(), String> {
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)).map_err(|e| e.to_string())
    }
}

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use imp::shape as shape_export;
