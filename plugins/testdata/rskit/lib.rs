//! rskit: exercises the Rust kit for plugins/kits/rust's tests. config.mode
//! selects what it does:
//!   echo     return the request unchanged (parse + write round trip)
//!   build    return a request built with the Value and Object constructors and editors
//!   parse    parse config.text with the kit's parser; return {"ok","error","value"}
//!            (no value with config.quiet: the host refuses outputs nested deeper than 128 levels)
//!   log      log config.text at every level, return the request
//!   uuid     set externalSessionKey to random_uuid()
//!   panic    panic with config.text (the kit logs it, then the module traps)
//!   oob      index past the end of a list (a standard-library panic with a location)
//!   refuse   refuse with config.code and config.text (either may be empty)
//!   context  return the decoded Context as the request, in the envelope's member names
//!   recurse  recurse config.depth times with 1 KiB of stack a level (past the 256 KiB
//!            stack plugins.mk gives Rust plugins, the module traps)
//!
//! Built by plugins/plugins.mk to plugins/build/testdata/rskit.wasm.

use agentshape::{Envelope, Error, Level, Object, Request, Value};

fn build(env: &Envelope) -> Result<Object, Error> {
    let mut r = Object::new();
    r.insert("s", "é😀 \"q\" \\ \n\t\r \u{1} 日本");
    r.insert("i", -42i64);
    r.insert("f", 0.5);
    r.insert("whole", 3.0);
    r.insert("nan", f64::NAN);
    r.insert("t", true);
    r.insert("n", Value::Null);
    r.insert("gone", 1);
    r.remove("gone");
    r.insert("instanceConfig", Object::new().with("endpoint", "https://x.my.salesforce.com"));
    r.insert("variables", vec![Value::from(Object::new().with("name", "a")), Value::from("b")]);
    r.insert("locale", env.context.user.locale.as_str());
    let tier = env.context.user.attributes.get_str("tier").unwrap_or("none");
    r.insert("tier", tier);
    r.insert("attrCount", env.context.user.attributes.len());
    let list = env.plugin.config.list("list")?;
    r.insert("second", list.and_then(|l| l.get(1)).cloned());
    r.insert("listF64", list.and_then(|l| l.first()).and_then(Value::as_f64).unwrap_or(-1.0));
    r.insert("plugin", env.plugin.name.as_str());
    let text = r.get("instanceConfig").map(Value::to_json).unwrap_or_default();
    r.insert("text", text);
    // Dotted paths on the request.
    let mut req = Request::new();
    req.set("a.b.c", "deep")?;
    req.set("a.b.d", 1)?;
    req.remove("a.b.c");
    r.insert("paths", req.as_object().clone());
    Ok(r)
}

fn context_as_object(env: &Envelope) -> Object {
    let c = &env.context;
    Object::new()
        .with("agentId", c.agent_id.as_str())
        .with("org", Object::new().with("myDomain", c.org.my_domain.as_str()).with("kind", c.org.kind.as_str()).with("sandbox", c.org.sandbox.as_str()))
        .with("channel", c.channel.as_str())
        .with("conversationId", c.conversation_id.as_str())
        .with(
            "user",
            Object::new()
                .with("locale", c.user.locale.as_str())
                .with("timezone", c.user.timezone.as_str())
                .with("attributes", c.user.attributes.clone()),
        )
}

/// Recurses depth times, each level holding 1 KiB on the stack.
fn recurse(depth: u32) -> u64 {
    let frame = [depth as u8; 1024];
    // A volatile read keeps the frame from being optimised away.
    let byte = unsafe { std::ptr::read_volatile(&frame[depth as usize % 1024]) } as u64;
    if depth == 0 {
        byte
    } else {
        byte + recurse(depth - 1)
    }
}

fn run(env: Envelope) -> Result<Request, Error> {
    let cfg = &env.plugin.config;
    let mode = cfg.string("mode", "echo")?;
    let text = cfg.string("text", "")?;
    match mode.as_str() {
        "echo" => Ok(env.request),
        "build" => build(&env).map(Request),
        "parse" => {
            let mut out = Object::new();
            match agentshape::parse_str(&text) {
                Ok(v) => {
                    out.insert("ok", true);
                    out.insert("error", "");
                    if !cfg.bool("quiet", false)? {
                        out.insert("value", v);
                    }
                }
                Err(e) => {
                    out.insert("ok", false);
                    out.insert("error", e.to_string());
                    out.insert("offset", e.offset);
                }
            }
            Ok(Request(out))
        }
        "log" => {
            agentshape::log(Level::Debug, &format!("debug {}", text));
            agentshape::info(&format!("info {}", text));
            agentshape::warn(&format!("warn {}", text));
            agentshape::error(&format!("error {}", text));
            Ok(env.request)
        }
        "uuid" => {
            let mut req = env.request;
            req.set("externalSessionKey", agentshape::random_uuid()?)?;
            Ok(req)
        }
        "panic" => panic!("{}", text),
        "oob" => {
            let n = env.request.as_object().len();
            let items: Vec<Value> = env.request.as_object().iter().map(|(_, v)| v.clone()).collect();
            let mut req = env.request.clone();
            req.set("x", items[n + 10].clone())?;
            Ok(req)
        }
        "refuse" => Err(Error::new(cfg.string("code", "")?, text)),
        "context" => Ok(Request(context_as_object(&env))),
        "recurse" => {
            let depth = cfg.f64("depth", 0.0)? as u32;
            let mut req = env.request;
            req.set("sum", recurse(depth))?;
            Ok(req)
        }
        other => Err(Error::new("bad_config", format!("config.mode \"{}\" is not one of echo, build, parse, log, uuid, panic, oob, refuse, context", other))),
    }
}

agentshape::export_shape!(run);
