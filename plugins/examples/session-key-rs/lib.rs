//! session-key (Rust): the Rust twin of the Go example plugins/examples/session-key —
//! same config, same keys, same refusals (a test holds their outputs identical).
//! It sets the Start Session request's externalSessionKey (docs/agent-api.md §2),
//! the caller's UUID that tags the conversation in Salesforce's event logs.
//!
//! Modes (`config.mode`):
//!   - "auto" (default): "conversation" when context.conversationId is set, else "random".
//!   - "random": a version 4 UUID from the host's randomness (WASI random_get;
//!     seeded in the host's deterministic mode).
//!   - "conversation": the version 5 (SHA-1) UUID of context.conversationId in
//!     `config.namespace` (default [`NAMESPACE`]), so a retried conversation keeps
//!     its key. Refused when context.conversationId is empty.
//!
//! A key already in the request is kept unless `config.replace` is true.
//! Built by `make plugins` (plugins/plugins.mk) to plugins/build/session-key-rs.wasm.

mod sha1;

use agentshape::{Envelope, Error, Request, CODE_BAD_CONFIG};

/// The default namespace of conversation-derived keys (the Go example's):
/// v5(URL namespace, "https://github.com/agentshape/agentshape#externalSessionKey").
pub const NAMESPACE: &str = "c0cf6b05-f11b-59d2-a60a-faa99a7ecdfc";

/// Parses a UUID in 8-4-4-4-12 hex form (either case).
pub fn parse_uuid(s: &str) -> Result<[u8; 16], String> {
    let bad = || format!("\"{}\" is not a UUID (want 8-4-4-4-12 hex digits)", s);
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return Err(bad());
    }
    let hex: Vec<u8> = b.iter().enumerate().filter(|(i, _)| ![8, 13, 18, 23].contains(i)).map(|(_, c)| *c).collect();
    let mut u = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16).ok_or_else(bad)?;
        let lo = (pair[1] as char).to_digit(16).ok_or_else(bad)?;
        u[i] = (hi << 4 | lo) as u8;
    }
    Ok(u)
}

/// The version 5 UUID of `name` in namespace `ns`: SHA-1 of the namespace's
/// 16 bytes followed by the name's UTF-8 bytes.
pub fn from_name(ns: &[u8; 16], name: &str) -> String {
    let mut data = ns.to_vec();
    data.extend_from_slice(name.as_bytes());
    let sum = sha1::sha1(&data);
    let mut u = [0u8; 16];
    u.copy_from_slice(&sum[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    agentshape::format_uuid(&u)
}

/// Sets externalSessionKey; see the crate documentation.
pub fn session_key(mut env: Envelope) -> Result<Request, Error> {
    let cfg = &env.plugin.config;
    let mut mode = cfg.string("mode", "auto")?;
    let ns_text = cfg.string("namespace", NAMESPACE)?;
    let replace = cfg.bool("replace", false)?;
    let has_key = matches!(env.request.get_str("externalSessionKey"), Some(k) if !k.trim().is_empty());
    if has_key && !replace {
        agentshape::debug("externalSessionKey already set by the caller; kept (set config.replace to override)");
        return Ok(env.request);
    }
    let ns = parse_uuid(&ns_text).map_err(|why| Error::new(CODE_BAD_CONFIG, format!("config.namespace: {}", why)))?;
    let conv = env.context.conversation_id.as_str();
    if mode == "auto" {
        mode = if conv.is_empty() { "random" } else { "conversation" }.to_string();
    }
    let key = match mode.as_str() {
        "random" => agentshape::random_uuid()?,
        "conversation" if conv.is_empty() => {
            return Err(Error::new(
                "no_conversation_id",
                "config.mode is \"conversation\" but context.conversationId is empty: pass the caller's conversation id, or use mode \"auto\" or \"random\"",
            ))
        }
        "conversation" => from_name(&ns, conv),
        other => return Err(Error::new(CODE_BAD_CONFIG, format!("config.mode \"{}\" is not one of auto, random, conversation", other))),
    };
    env.request.set("externalSessionKey", key)?;
    Ok(env.request)
}

agentshape::export_shape!(session_key);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v5_vectors() {
        // RFC 9562's example: v5(DNS namespace, "www.example.com").
        let dns = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8").unwrap();
        assert_eq!(from_name(&dns, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
        let url = parse_uuid("6BA7B811-9DAD-11D1-80B4-00C04FD430C8").unwrap();
        assert_eq!(from_name(&url, "https://github.com/agentshape/agentshape#externalSessionKey"), NAMESPACE);
        assert!(parse_uuid("not-a-uuid").is_err());
        assert!(parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430cg").is_err());
    }
}
