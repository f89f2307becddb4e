//! The Rust kit for agentshape plugins, ABI v1 (plugins/ABI.md). No crates:
//! the standard library only, so it builds with Debian's `rustc` for
//! `wasm32-wasi` and no registry.
//!
//! A plugin author writes one function from the input envelope to the
//! shaped Start Session request, or to a refusal, and exports it:
//!
//! ```ignore
//! use agentshape::{Envelope, Error, Request};
//!
//! fn shape(mut env: Envelope) -> Result<Request, Error> {
//!     let domain = env.context.org.my_domain.clone();
//!     if domain.is_empty() {
//!         return Err(Error::new("no_my_domain", "context.org.myDomain is empty: pass the org's My Domain name, e.g. acme"));
//!     }
//!     env.request.set("instanceConfig.endpoint", format!("https://{}.my.salesforce.com", domain))?;
//!     Ok(env.request)
//! }
//!
//! agentshape::export_shape!(shape);
//! ```
//!
//! and builds it as a WASI reactor (`find-rustc.sh` names a rustc that has
//! the target):
//!
//! ```text
//! rustc --edition 2021 --target wasm32-wasi --crate-type rlib --crate-name agentshape -O agentshape/lib.rs -o build/libagentshape.rlib
//! rustc --edition 2021 --target wasm32-wasi --crate-type cdylib -O -C strip=debuginfo \
//!       --extern agentshape=build/libagentshape.rlib src/lib.rs -o build/plugin.wasm
//! ```
//!
//! The kit does the rest: it exports the ABI marker (`agentshape_abi_v1`),
//! `alloc` and `_initialize` (which makes the module a reactor), keeps the
//! memory it hands to the host until the next call, decodes the envelope,
//! encodes `{"request":…}` or `{"error":{…}}` and packs the output location
//! into `shape`'s `i64` result. [`log`] sends a message to the host's log
//! through the `agentshape.log` import; a panic is logged at error level with
//! its message and location, then traps (the host reports `trapped`).
//!
//! The kit also builds natively: [`handle`] runs a shape function on an
//! envelope exactly as the `shape` export does, so a plugin's logic can be
//! unit-tested with `rustc --test` without a wasm runtime.
//!
//! Keep plugins compatible with rustc 1.63 (Debian bookworm's): no `let … else`.

#![warn(missing_docs)]

mod config;
mod context;
mod host;
pub mod json;
mod request;
#[cfg(test)]
mod tests;

pub use config::{Config, CODE_BAD_CONFIG};
pub use context::{Context, Org, User};
pub use host::{debug, error, format_uuid, info, log, random_bytes, random_uuid, warn, Level, CODE_NO_RANDOMNESS};
pub use json::{parse, parse_str, Number, Object, ParseError, Value};
pub use request::{valid_variable_type, Request, Variable, CODE_BAD_REQUEST, VARIABLE_TYPES};

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use host::shape_export;

use std::fmt;

/// The ABI version this kit implements (plugins/ABI.md).
pub const ABI_VERSION: u32 = 1;

/// Reserved fault code (plugins/ABI.md §6.1): the kit could not decode the host's envelope.
pub const CODE_BAD_ENVELOPE: &str = "bad_envelope";
/// Reserved fault code: the envelope's `abi` is not the version the kit speaks.
pub const CODE_ABI_VERSION: &str = "abi_version";
/// The code the kit fills in for a refusal whose code is empty.
pub const CODE_REFUSED: &str = "refused";

/// A refusal: a machine-readable code and a message that tells a person what
/// was wrong and what to do. Return it from the shape function (`Err`, or
/// `?` on the kit's accessors, which fail with one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// A short snake_case reason, e.g. `"lightning_url"`. Never one of the
    /// reserved fault codes of plugins/ABI.md §6.1.
    pub code: String,
    /// What was wrong and what to do instead.
    pub message: String,
}

impl Error {
    /// A refusal with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Error {
        Error { code: code.into(), message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// The decoded input of one shape call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Envelope {
    /// The ABI version the host speaks (1).
    pub abi: u32,
    /// The plugin's name and its manifest configuration.
    pub plugin: Plugin,
    /// The caller's facts.
    pub context: Context,
    /// The Start Session request as shaped so far (`{}` for the first plugin).
    pub request: Request,
}

/// The called plugin (`plugin` of the envelope).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plugin {
    /// The plugin's name in the manifest.
    pub name: String,
    /// The plugin's configuration from the manifest (empty when there is none).
    pub config: Config,
}

fn bad_envelope(message: String) -> Error {
    Error::new(CODE_BAD_ENVELOPE, message)
}

/// Decodes an ABI v1 envelope. Unknown members are ignored; a member of the
/// wrong type is an error naming it.
pub fn decode(input: &[u8]) -> Result<Envelope, Error> {
    let doc = parse(input).map_err(|e| bad_envelope(format!("envelope is not valid JSON for ABI v1: {}", e)))?;
    let mut m = match doc {
        Value::Object(m) => m,
        v => return Err(bad_envelope(format!("envelope is {}, not a JSON object", v.kind()))),
    };
    match m.get("abi") {
        Some(Value::Number(n)) if n.as_f64() == Some(f64::from(ABI_VERSION)) => {}
        other => {
            let said = other.map_or_else(|| "missing".to_string(), Value::to_json);
            return Err(Error::new(
                CODE_ABI_VERSION,
                format!("this plugin speaks agentshape ABI v1 but the envelope's abi is {}; rebuild the plugin with a kit that speaks the host's ABI", said),
            ));
        }
    }
    let mut env = Envelope { abi: ABI_VERSION, ..Envelope::default() };
    match m.remove("plugin") {
        None | Some(Value::Null) => {}
        Some(Value::Object(mut p)) => {
            match p.remove("name") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => env.plugin.name = s,
                Some(v) => return Err(bad_envelope(format!("plugin.name is {}, not a string", v.kind()))),
            }
            match p.remove("config") {
                None | Some(Value::Null) => {}
                Some(Value::Object(c)) => env.plugin.config = Config(c),
                Some(v) => return Err(bad_envelope(format!("plugin.config is {}, not an object", v.kind()))),
            }
        }
        Some(v) => return Err(bad_envelope(format!("plugin is {}, not an object", v.kind()))),
    }
    env.context = Context::from_value(m.get("context"))?;
    match m.remove("request") {
        None | Some(Value::Null) => {}
        Some(Value::Object(r)) => env.request = Request(r),
        Some(v) => return Err(bad_envelope(format!("request is {}, not an object", v.kind()))),
    }
    Ok(env)
}

/// Appends `{"error":{"code":…,"message":…}}` to `out`; an empty code
/// becomes "refused" and an empty message a generic one (ABI v1 needs both).
fn write_refusal(out: &mut Vec<u8>, e: &Error) {
    let code = if e.code.is_empty() { CODE_REFUSED } else { e.code.as_str() };
    let message = if e.message.is_empty() { "the plugin refused without a message" } else { e.message.as_str() };
    out.extend_from_slice(b"{\"error\":{\"code\":");
    json::write_string(out, code);
    out.extend_from_slice(b",\"message\":");
    json::write_string(out, message);
    out.extend_from_slice(b"}}");
}

/// Runs `shape` on one input envelope and returns the output JSON:
/// `{"request":…}` on success, `{"error":{"code","message"}}` on a refusal or
/// a bad envelope. It is exactly what the wasm `shape` export runs; natively
/// it lets tests run a plugin's logic without a wasm runtime.
pub fn handle<F>(shape: F, input: &[u8]) -> Vec<u8>
where
    F: FnOnce(Envelope) -> Result<Request, Error>,
{
    let mut out = Vec::with_capacity(input.len() + 64);
    match decode(input).and_then(shape) {
        Ok(req) => {
            out.extend_from_slice(b"{\"request\":");
            req.0.to_json_into(&mut out);
            out.push(b'}');
        }
        Err(e) => write_refusal(&mut out, &e),
    }
    out
}

/// Exports the plugin's shape function as the ABI's `shape`:
/// `agentshape::export_shape!(shape);` where `shape` is a
/// `fn(Envelope) -> Result<Request, Error>`. Use it once, in the plugin's
/// crate root. Natively it defines `__agentshape_handle(envelope) -> output`
/// instead, [`handle`] with the plugin's function.
#[macro_export]
macro_rules! export_shape {
    ($shape:path) => {
        /// The plugin's shape function run on one envelope, as the wasm
        /// `shape` export runs it (native builds: tests).
        #[cfg(not(target_arch = "wasm32"))]
        #[doc(hidden)]
        pub fn __agentshape_handle(envelope: &[u8]) -> ::std::vec::Vec<u8> {
            $crate::handle($shape, envelope)
        }

        /// The ABI v1 `shape` export: runs the plugin's shape function
        /// through the agentshape kit.
        #[cfg(target_arch = "wasm32")]
        #[export_name = "shape"]
        pub extern "C" fn __agentshape_shape(ptr: *const u8, len: i32) -> u64 {
            // The host passes the range alloc returned (plugins/ABI.md §4).
            unsafe { $crate::shape_export(ptr, len, $shape) }
        }
    };
}
