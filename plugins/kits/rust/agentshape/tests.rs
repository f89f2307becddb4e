//! The kit's unit tests, run natively (`rustc --test agentshape/lib.rs`;
//! plugins/kits/rust's Go test TestKitUnitTests does it in `make test`).
//! What only shows in wasm (exports, memory, logs, panics) is tested
//! through the real host in plugins/kits/rust/kit_test.go.

use crate::*;

fn envelope(config: &str, context: &str, request: &str) -> Vec<u8> {
    format!(r#"{{"abi":1,"plugin":{{"name":"t","config":{}}},"context":{},"request":{}}}"#, config, context, request).into_bytes()
}

fn run(f: fn(Envelope) -> Result<Request, Error>, config: &str, context: &str, request: &str) -> String {
    String::from_utf8(handle(f, &envelope(config, context, request))).unwrap()
}

#[test]
fn parse_and_write_keep_order_numbers_and_escapes() {
    let text = r#"{"z":1E+21,"a":[-0,0.5,123456789012345678901234567890],"s":"\u00e9\"\\\/\b\f\n\r\t\u0001","o":{},"n":null,"t":true}"#;
    let v = parse_str(text).unwrap();
    assert_eq!(v.to_json(), r#"{"z":1E+21,"a":[-0,0.5,123456789012345678901234567890],"s":"é\"\\/\u0008\u000c\n\r\t\u0001","o":{},"n":null,"t":true}"#);
    assert_eq!(v.path("z").and_then(Value::as_f64), Some(1e21));
    assert_eq!(v.get("a").and_then(Value::as_array).map(Vec::len), Some(3));
    assert_eq!(parse_str(" [ 1 , 2 ] ").unwrap().to_json(), "[1,2]");
    assert_eq!(parse_str(r#""\ud83d\ude00""#).unwrap().as_str(), Some("😀"));
}

#[test]
fn parse_rejects_what_json_rejects() {
    for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "+1", ".5", "1e", "tru", "nulll", "\"a", "\"\\x\"", "\"\\u12g4\"", "\"\t\"", "{1:2}", "[1] 2", "NaN", "'a'"] {
        assert!(parse_str(bad).is_err(), "{:?} parsed", bad);
    }
    let e = parse_str("[1,2,]").unwrap_err();
    assert_eq!((e.offset, e.to_string().as_str()), (5, "invalid JSON at byte 5: unexpected character ']'"));
}

#[test]
fn objects_replace_in_place_and_remove_keeping_order() {
    let mut o = Object::new().with("a", 1).with("b", 2).with("c", 3);
    assert_eq!(o.insert("b", "two"), Some(Value::from(2)));
    assert_eq!(o.remove("a"), Some(Value::from(1)));
    assert_eq!(o.remove("missing"), None);
    o.insert("d", Option::<bool>::None);
    assert_eq!(o.to_json(), r#"{"b":"two","c":3,"d":null}"#);
    assert_eq!(o.keys().collect::<Vec<_>>(), ["b", "c", "d"]);
    assert!(o.contains_key("d") && !o.contains_key("a"));
    let from_iter: Object = vec![("x", 1), ("y", 2), ("x", 3)].into_iter().collect();
    assert_eq!(from_iter.to_json(), r#"{"x":3,"y":2}"#);
    assert_eq!(Value::from(f64::INFINITY), Value::Null);
    assert_eq!(Value::from(vec![1.5, 2.0]).to_json(), "[1.5,2]");
    assert_eq!(Number::from_text("-1.5e3").map(|n| n.to_string()), Some("-1.5e3".to_string()));
    assert_eq!(Number::from_text("1.5x"), None);
}

#[test]
fn request_paths() {
    let mut r = Request(parse_str(r#"{"instanceConfig":{"endpoint":"e"},"n":null,"s":"x"}"#).unwrap().as_object().unwrap().clone());
    assert_eq!(r.get_str("instanceConfig.endpoint"), Some("e"));
    assert_eq!(r.get("instanceConfig.missing.deeper"), None);
    r.set("instanceConfig.endpoint", "f").unwrap();
    r.set("n.a", true).unwrap();
    r.set("new.deep.er", 1).unwrap();
    let err = r.set("s.x", 1).unwrap_err();
    assert_eq!((err.code.as_str(), err.message.as_str()), ("bad_request", "request.s is a string, not an object; cannot set request.s.x"));
    assert_eq!(r.remove("new.deep.er"), Some(Value::from(1)));
    assert_eq!(r.remove("s.x"), None);
    assert_eq!(r.remove("s"), Some(Value::from("x")));
    assert_eq!(r.to_json(), r#"{"instanceConfig":{"endpoint":"f"},"n":{"a":true},"new":{"deep":{}}}"#);
}

#[test]
fn request_variables() {
    let mut r = Request(parse_str(r#"{"variables":[{"name":"a","type":"Text","value":"1"},{"name":"b","type":"Number","value":"2"}]}"#).unwrap().as_object().unwrap().clone());
    let mut vars = r.variables().unwrap();
    assert_eq!(vars, vec![Variable::text("a", "1"), Variable::new("b", "Number", "2")]);
    vars.push(Variable::new("c", "Boolean", "true"));
    r.set_variables(&vars);
    r.put_variable(Variable::text("a", "one")).unwrap();
    r.put_variable(Variable::text("d", "4")).unwrap();
    assert_eq!(
        r.to_json(),
        r#"{"variables":[{"name":"a","type":"Text","value":"one"},{"name":"b","type":"Number","value":"2"},{"name":"c","type":"Boolean","value":"true"},{"name":"d","type":"Text","value":"4"}]}"#
    );
    let mut empty = Request::new();
    assert_eq!(empty.variables().unwrap(), vec![]);
    empty.put_variable(Variable::text("x", "y")).unwrap();
    assert_eq!(empty.to_json(), r#"{"variables":[{"name":"x","type":"Text","value":"y"}]}"#);
    for (text, want) in [
        (r#"{"variables":{}}"#, "request.variables is an object, not an array of variables"),
        (r#"{"variables":[1]}"#, "request.variables[0] is a number, not an object"),
        (r#"{"variables":[{"name":"a","type":"Text"}]}"#, "request.variables[0].value is null, not a string"),
        (r#"{"variables":[{"name":"a","type":"Text","value":true}]}"#, "request.variables[0].value is a boolean, not a string"),
    ] {
        let r = Request(parse_str(text).unwrap().as_object().unwrap().clone());
        assert_eq!(r.variables().unwrap_err().message, want);
    }
    let mut bad = Request(parse_str(r#"{"variables":"x"}"#).unwrap().as_object().unwrap().clone());
    assert_eq!(bad.put_variable(Variable::text("a", "b")).unwrap_err().code, "bad_request");
    assert!(valid_variable_type("DateTime") && !valid_variable_type("datetime"));
}

#[test]
fn config_accessors() {
    let c = Config(parse_str(r#"{"s":"x","b":true,"n":2.5,"l":[1],"o":{"k":1},"z":null}"#).unwrap().as_object().unwrap().clone());
    assert_eq!(c.string("s", "d").unwrap(), "x");
    assert_eq!(c.string("z", "d").unwrap(), "d");
    assert_eq!(c.string("missing", "d").unwrap(), "d");
    assert!(c.bool("b", false).unwrap());
    assert_eq!(c.f64("n", 0.0).unwrap(), 2.5);
    assert_eq!(c.list("l").unwrap().map(Vec::len), Some(1));
    assert_eq!(c.object("o").unwrap().and_then(|o| o.get("k")), Some(&Value::from(1)));
    assert_eq!(c.list("missing").unwrap(), None);
    for (err, want) in [
        (c.string("b", "").unwrap_err(), "config.b must be a string, got a boolean"),
        (c.bool("s", false).unwrap_err(), "config.s must be true or false, got a string"),
        (c.f64("s", 0.0).unwrap_err(), "config.s must be a number, got a string"),
        (c.list("o").unwrap_err(), "config.o must be a list, got an object"),
        (c.object("l").unwrap_err(), "config.l must be an object, got an array"),
    ] {
        assert_eq!((err.code.as_str(), err.message.as_str()), ("bad_config", want));
    }
}

fn tag(env: Envelope) -> Result<Request, Error> {
    let mut req = env.request;
    let name = env.plugin.config.string("variable", "channel")?;
    if env.context.channel.is_empty() {
        return Err(Error::new("", ""));
    }
    req.put_variable(Variable::text(name, env.context.channel))?;
    Ok(req)
}

#[test]
fn handle_answers_requests_refusals_and_bad_envelopes() {
    assert_eq!(run(tag, "{}", r#"{"channel":"web"}"#, r#"{"b":1}"#), r#"{"request":{"b":1,"variables":[{"name":"channel","type":"Text","value":"web"}]}}"#);
    assert_eq!(run(tag, r#"{"variable":1}"#, "{}", "{}"), r#"{"error":{"code":"bad_config","message":"config.variable must be a string, got a number"}}"#);
    assert_eq!(run(tag, "{}", "{}", "{}"), r#"{"error":{"code":"refused","message":"the plugin refused without a message"}}"#);
    assert_eq!(run(tag, "null", "null", "null"), r#"{"error":{"code":"refused","message":"the plugin refused without a message"}}"#);
    let out = String::from_utf8(handle(tag, br#"{"abi":2}"#)).unwrap();
    assert!(out.starts_with(r#"{"error":{"code":"abi_version","#), "{}", out);
    let out = String::from_utf8(handle(tag, b"{")).unwrap();
    assert!(out.starts_with(r#"{"error":{"code":"bad_envelope","message":"envelope is not valid JSON for ABI v1: invalid JSON at byte 1"#), "{}", out);
}

#[test]
fn decode_reads_every_member() {
    let env = decode(&envelope(
        r#"{"k":"v"}"#,
        r#"{"agentId":"0Xx","org":{"myDomain":"acme","kind":"sandbox","sandbox":"uat"},"channel":"web","conversationId":"c1","user":{"locale":"de_DE","timezone":"Europe/Berlin","attributes":{"tier":"gold"}},"future":1}"#,
        r#"{"a":1}"#,
    ))
    .unwrap();
    assert_eq!(env.abi, 1);
    assert_eq!(env.plugin.name, "t");
    assert_eq!(env.plugin.config.string("k", "").unwrap(), "v");
    let c = env.context;
    assert_eq!((c.agent_id.as_str(), c.channel.as_str(), c.conversation_id.as_str()), ("0Xx", "web", "c1"));
    assert_eq!((c.org.my_domain.as_str(), c.org.kind.as_str(), c.org.sandbox.as_str()), ("acme", "sandbox", "uat"));
    assert_eq!((c.user.locale.as_str(), c.user.timezone.as_str()), ("de_DE", "Europe/Berlin"));
    assert_eq!(c.user.attributes.get_str("tier"), Some("gold"));
    assert_eq!(env.request.to_json(), r#"{"a":1}"#);
}

#[test]
fn uuids() {
    let u = random_uuid().unwrap();
    let b = u.as_bytes();
    assert_eq!((u.len(), b[14], b[8], b[13]), (36, b'4', b'-', b'-'));
    assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "{}", u);
    assert_ne!(u, random_uuid().unwrap());
    assert_eq!(format_uuid(&[0xab; 16]), "abababab-abab-abab-abab-abababababab");
}
