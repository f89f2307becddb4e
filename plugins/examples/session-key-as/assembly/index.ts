// session-key (AssemblyScript): the AssemblyScript twin of the Go example
// plugins/examples/session-key — same config, same keys, same refusals. It sets
// the Start Session request's externalSessionKey (agent-api.md §2), the
// caller's UUID that tags the conversation in Salesforce's event logs.
//
// Modes (config.mode):
//   - "auto" (default): "conversation" when context.conversationId is set, else "random".
//   - "random": a version 4 UUID from the host's randomness (WASI random_get;
//     seeded in the host's deterministic mode).
//   - "conversation": the version 5 (SHA-1) UUID of context.conversationId in
//     config.namespace (default NAMESPACE), so a retried conversation keeps
//     its key. Refused when context.conversationId is empty.
// A key already in the request is kept unless config.replace is true.
import { Envelope, Result, Value, Kind, shapeWith, debug, randomBytes } from "../../../kits/assemblyscript/assembly/index";
import { sha1 } from "./sha1";
export { alloc, agentshape_abi_v1 } from "../../../kits/assemblyscript/assembly/index";

/** Default namespace of conversation-derived keys (same as the Go example). */
const NAMESPACE = "c0cf6b05-f11b-59d2-a60a-faa99a7ecdfc";

const HEXDIGITS = "0123456789abcdef";

function kindOf(v: Value): string {
  switch (v.kind) {
    case Kind.Null: return "null";
    case Kind.Bool: return "a boolean";
    case Kind.Number: return "a number";
    case Kind.String: return "a string";
    case Kind.Array: return "an array";
  }
  return "an object";
}

// Config readers: absent or null means the default; a wrong type is a
// bad_config refusal naming the key (the Go kit's wording).
let configError: string = "";

function configString(cfg: Value, key: string, fallback: string): string {
  const v = cfg.get(key);
  if (v === null || v.isNull) return fallback;
  if (!v.isString) {
    configError = "config." + key + " must be a string, got " + kindOf(v);
    return fallback;
  }
  return v.text;
}

function configBool(cfg: Value, key: string, fallback: bool): bool {
  const v = cfg.get(key);
  if (v === null || v.isNull) return fallback;
  if (v.kind != Kind.Bool) {
    configError = "config." + key + " must be true or false, got " + kindOf(v);
    return fallback;
  }
  return v.flag;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Parses a UUID in 8-4-4-4-12 hex form; null when s is not one. */
function parseUUID(s: string): Uint8Array | null {
  if (s.length != 36 || s.charCodeAt(8) != 0x2d || s.charCodeAt(13) != 0x2d || s.charCodeAt(18) != 0x2d || s.charCodeAt(23) != 0x2d) return null;
  const out = new Uint8Array(16);
  let n = 0;
  for (let i = 0; i < 36; i += 2) {
    if (i == 8 || i == 13 || i == 18 || i == 23) i++;
    const hi = hexValue(s.charCodeAt(i));
    const lo = hexValue(s.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return null;
    out[n++] = <u8>((hi << 4) | lo);
  }
  return out;
}

function formatUUID(u: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    s += HEXDIGITS.charAt(u[i] >> 4);
    s += HEXDIGITS.charAt(u[i] & 15);
  }
  return s;
}

/** The version 5 UUID of name in namespace ns. */
function fromName(ns: Uint8Array, name: string): string {
  const nameBytes = Uint8Array.wrap(String.UTF8.encode(name));
  const data = new Uint8Array(16 + nameBytes.length);
  data.set(ns, 0);
  data.set(nameBytes, 16);
  const sum = sha1(data);
  const u = sum.subarray(0, 16);
  u[6] = (u[6] & 0x0f) | 0x50;
  u[8] = (u[8] & 0x3f) | 0x80;
  return formatUUID(u);
}

/** A random version 4 UUID. */
function random(): string {
  const u = randomBytes(16);
  u[6] = (u[6] & 0x0f) | 0x40;
  u[8] = (u[8] & 0x3f) | 0x80;
  return formatUUID(u);
}

function sessionKey(env: Envelope): Result {
  configError = "";
  let mode = configString(env.config, "mode", "auto");
  const nsText = configString(env.config, "namespace", NAMESPACE);
  const replace = configBool(env.config, "replace", false);
  if (configError.length > 0) return Result.refuse("bad_config", configError);

  const existing = env.request.get("externalSessionKey");
  if (existing !== null && existing.isString && existing.text.trim().length > 0 && !replace) {
    debug("externalSessionKey already set by the caller; kept (set config.replace to override)");
    return Result.ok(env.request);
  }
  const ns = parseUUID(nsText);
  if (ns === null) {
    return Result.refuse("bad_config", "config.namespace: \"" + nsText + "\" is not a UUID (want 8-4-4-4-12 hex digits)");
  }
  const conv = env.context.str("conversationId");
  if (mode == "auto") mode = conv.length > 0 ? "conversation" : "random";
  let key: string;
  if (mode == "random") {
    key = random();
  } else if (mode == "conversation") {
    if (conv.length == 0) {
      return Result.refuse("no_conversation_id",
        "config.mode is \"conversation\" but context.conversationId is empty: pass the caller's conversation id, or use mode \"auto\" or \"random\"");
    }
    key = fromName(ns, conv);
  } else {
    return Result.refuse("bad_config", "config.mode \"" + mode + "\" is not one of auto, random, conversation");
  }
  env.request.setString("externalSessionKey", key);
  return Result.ok(env.request);
}

export function shape(ptr: usize, len: i32): u64 {
  return shapeWith(ptr, len, sessionKey);
}
