// askit: exercises the AssemblyScript kit for plugins/kits/assemblyscript's
// tests. config.mode selects what it does:
//   echo   return the request unchanged (parse + write round trip)
//   build  return a request built with every Value constructor and editor
//   parse  parse config.text with the kit's parser; return {"ok","error","value"}
//   log    log config.text at every level, return the request
//   uuid   set externalSessionKey to randomUUID()
//   abort  abort with config.text (the kit logs it, then traps)
//   oob    read past the end of an array (a runtime abort with a location)
//   refuse refuse with config.code and config.text (either may be empty)
import { Envelope, Result, Value, shapeWith, parse, lastParseError, log, Level, randomUUID } from "../../../kits/assemblyscript/assembly/index";
export { alloc, agentshape_abi_v1 } from "../../../kits/assemblyscript/assembly/index";

function build(env: Envelope): Value {
  const r = Value.object();
  r.setString("s", "é😀 \"q\" \\ \n\t\r \u0001 日本");
  r.set("i", Value.int(-42));
  r.set("f", Value.number(0.5));
  r.set("whole", Value.number(3.0));
  r.set("nan", Value.number(NaN));
  r.set("t", Value.bool(true));
  r.set("n", Value.null());
  r.set("gone", Value.int(1));
  r.remove("gone");
  r.objectAt("instanceConfig").setString("endpoint", "https://x.my.salesforce.com");
  r.arrayAt("variables").push(Value.object().setString("name", "a")).push(Value.string("b"));
  // Reads: dotted paths, fallbacks, indexes, lengths.
  r.setString("locale", env.context.str("user.locale", "none"));
  r.setString("missing", env.context.str("user.nothing.deeper", "fallback"));
  const attrs = env.context.at("user.attributes");
  r.set("attrCount", Value.int(attrs === null ? -1 : attrs.length));
  const list = env.config.get("list");
  let second: Value | null = null;
  let first: f64 = -1;
  if (list !== null) {
    second = list.index(1);
    const f = list.index(0);
    if (f !== null) first = f.toF64();
  }
  r.set("second", second === null ? Value.null() : second);
  r.set("listF64", Value.number(first));
  const user = env.context.at("user");
  r.set("hasLocale", Value.bool(user !== null && user.has("locale")));
  r.setString("plugin", env.pluginName);
  r.setString("text", r.get("instanceConfig")!.toString());
  return r;
}

function run(env: Envelope): Result {
  const mode = env.config.str("mode", "echo");
  const text = env.config.str("text");
  if (mode == "echo") return Result.ok(env.request);
  if (mode == "build") return Result.ok(build(env));
  if (mode == "parse") {
    const v = parse(text);
    const out = Value.object();
    out.set("ok", Value.bool(v !== null));
    out.setString("error", lastParseError());
    out.set("value", v === null ? Value.null() : v);
    return Result.ok(out);
  }
  if (mode == "log") {
    log(Level.Debug, "debug " + text);
    log(Level.Info, "info " + text);
    log(Level.Warn, "warn " + text);
    log(Level.Error, "error " + text);
    return Result.ok(env.request);
  }
  if (mode == "uuid") {
    env.request.setString("externalSessionKey", randomUUID());
    return Result.ok(env.request);
  }
  if (mode == "abort") {
    abort(text);
  }
  if (mode == "oob") {
    const items = env.request.items;
    env.request.set("x", items[items.length + 10]);
    return Result.ok(env.request);
  }
  if (mode == "refuse") return Result.refuse(env.config.str("code"), text);
  return Result.refuse("bad_config", "config.mode \"" + mode + "\" is not one of echo, build, parse, log, uuid, abort, oob, refuse");
}

export function shape(ptr: usize, len: i32): u64 {
  return shapeWith(ptr, len, run);
}
