// kitbench (AssemblyScript): the shared benchmark logic, identical in the Go,
// C and AssemblyScript kits (see plugins/testdata/kitbench/README.md):
//   - refuse with code "no_channel" when context.channel is missing or empty;
//   - set request.tz to context.user.timezone when that is a non-empty string;
//   - set the variable named config.variable (default "channel"), type Text,
//     to context.channel, replacing a variable of that name if present.
import { Envelope, Result, Value, shapeWith } from "../../../../kits/assemblyscript/assembly/index";
export { alloc, agentshape_abi_v1 } from "../../../../kits/assemblyscript/assembly/index";

function tagChannel(env: Envelope): Result {
  const channel = env.context.str("channel");
  if (channel.length == 0) {
    return Result.refuse("no_channel", "context.channel is missing: pass the conversation's channel (e.g. \"web\") in the context");
  }
  const req = env.request;
  const tz = env.context.str("user.timezone");
  if (tz.length > 0) req.setString("tz", tz);
  const name = env.config.str("variable", "channel");
  const vars = req.arrayAt("variables");
  const v = Value.object().setString("name", name).setString("type", "Text").setString("value", channel);
  for (let i = 0; i < vars.length; i++) {
    const existing = vars.items[i];
    if (existing.str("name") == name) {
      vars.items[i] = v;
      return Result.ok(req);
    }
  }
  vars.push(v);
  return Result.ok(req);
}

export function shape(ptr: usize, len: i32): u64 {
  return shapeWith(ptr, len, tagChannel);
}
