//! The caller's facts ([`Context`]), decoded from the envelope's `context`.

use crate::json::{Object, Value};
use crate::Error;

/// The caller's facts a plugin shapes the request from; every member may be
/// empty (an empty string means the host did not send it). It mirrors the
/// host's `host/abi.Context` member for member (plugins/ABI.md §5).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// The agent's BotDefinition Id (`0Xx…`, 15 or 18 characters).
    pub agent_id: String,
    /// The Salesforce org the session is for.
    pub org: Org,
    /// Where the conversation comes from (e.g. `"web"`).
    pub channel: String,
    /// The caller's own id of the conversation.
    pub conversation_id: String,
    /// The end user.
    pub user: User,
}

/// The Salesforce org (`context.org`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Org {
    /// The org's My Domain: a URL or just its name.
    pub my_domain: String,
    /// `"production"` (default), `"sandbox"`, `"developer"` or `"government"`.
    pub kind: String,
    /// The sandbox name when `kind` is `"sandbox"`.
    pub sandbox: String,
}

/// The end user (`context.user`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct User {
    /// A Salesforce or BCP 47 locale, e.g. `"de_DE"` or `"de-DE"`.
    pub locale: String,
    /// An IANA zone, e.g. `"Europe/Berlin"`.
    pub timezone: String,
    /// Free-form facts (decoded JSON values); empty when there are none.
    pub attributes: Object,
}

fn bad(path: &str, v: &Value, want: &str) -> Error {
    Error::new(crate::CODE_BAD_ENVELOPE, format!("{} is {}, not {}", path, v.kind(), want))
}

fn string(m: &Object, key: &str, path: &str) -> Result<String, Error> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(bad(path, v, "a string")),
    }
}

fn object<'a>(m: &'a Object, key: &str, path: &str) -> Result<Option<&'a Object>, Error> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(v) => Err(bad(path, v, "an object")),
    }
}

impl Context {
    /// Decodes `context` from the envelope; unknown members are ignored (a
    /// newer host may add some), a member of the wrong type is an error naming it.
    pub(crate) fn from_value(v: Option<&Value>) -> Result<Context, Error> {
        let mut c = Context::default();
        let m = match v {
            None | Some(Value::Null) => return Ok(c),
            Some(Value::Object(m)) => m,
            Some(v) => return Err(bad("context", v, "an object")),
        };
        c.agent_id = string(m, "agentId", "context.agentId")?;
        c.channel = string(m, "channel", "context.channel")?;
        c.conversation_id = string(m, "conversationId", "context.conversationId")?;
        if let Some(org) = object(m, "org", "context.org")? {
            c.org.my_domain = string(org, "myDomain", "context.org.myDomain")?;
            c.org.kind = string(org, "kind", "context.org.kind")?;
            c.org.sandbox = string(org, "sandbox", "context.org.sandbox")?;
        }
        if let Some(user) = object(m, "user", "context.user")? {
            c.user.locale = string(user, "locale", "context.user.locale")?;
            c.user.timezone = string(user, "timezone", "context.user.timezone")?;
            if let Some(attrs) = object(user, "attributes", "context.user.attributes")? {
                c.user.attributes = attrs.clone();
            }
        }
        Ok(c)
    }
}
