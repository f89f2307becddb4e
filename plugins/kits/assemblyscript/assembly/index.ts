// agentshape plugin kit for AssemblyScript (ABI v1).
//
// A plugin's entry file re-exports the ABI plumbing and wraps its own shape
// function:
//
//   import { Envelope, Result, shapeWith } from "<kit>/assembly";
//   export { alloc, agentshape_abi_v1 } from "<kit>/assembly";
//
//   function shapeRequest(env: Envelope): Result {
//     env.request.setString("tz", env.context.str("user.timezone", "UTC"));
//     return Result.ok(env.request);
//   }
//
//   export function shape(ptr: usize, len: i32): u64 {
//     return shapeWith(ptr, len, shapeRequest);
//   }
//
// Build with the flags in plugins/assemblyscript.mk (ASFLAGS): --runtime
// minimal --exportStart _initialize --use abort=<kit>/assembly/host/abortHandler.
// The module then imports only agentshape.log (and WASI random_get when
// randomBytes/randomUUID are used) and exports memory, _initialize,
// agentshape_abi_v1, alloc and shape.
// The kit collects garbage at the start of every call, when nothing but the
// previous output is alive, so a pooled instance's memory stays flat.

import { Value, Kind, Writer, parseBytes, lastParseError } from "./json";

export { Value, Kind, Writer, parse, parseBytes, lastParseError, MAX_DEPTH } from "./json";
export { Level, log, debug, info, warn, error, randomBytes, randomUUID, abortHandler } from "./host";

/** ABI version this kit implements. */
export const ABI_VERSION: i32 = 1;

/** The ABI v1 marker: its presence declares that the module speaks ABI v1. */
export function agentshape_abi_v1(): void {}

// The buffer most recently handed out by alloc (the host writes the input
// envelope there) and the output of the last call, kept alive until the next
// call so the host can read it.
let inputPtr: usize = 0;
let lastOutput: ArrayBuffer | null = null;

/** Returns a pointer to size writable bytes for the host to write the envelope into. */
export function alloc(size: i32): usize {
  if (size < 0) return 0;
  if (inputPtr != 0) heap.free(inputPtr);
  inputPtr = heap.alloc(size > 0 ? <usize>size : 1);
  return inputPtr;
}

/** The input envelope a plugin shapes from. */
export class Envelope {
  /** The whole envelope as parsed. */
  raw: Value;
  /** ABI version the host sent (1). */
  abi: i32;
  /** The plugin's name from the manifest. */
  pluginName: string;
  /** The plugin's config from the manifest (an object, maybe empty). */
  config: Value;
  /** The caller's facts: agentId, org, channel, conversationId, user... (an object). */
  context: Value;
  /** The Start Session request as shaped so far (an object). Change it and return it. */
  request: Value;

  constructor(raw: Value) {
    this.raw = raw;
    const abi = raw.get("abi");
    this.abi = abi === null ? 0 : <i32>abi.toF64();
    this.pluginName = raw.str("plugin.name");
    const cfg = raw.at("plugin.config");
    this.config = cfg !== null && cfg.isObject ? cfg : Value.object();
    const ctx = raw.get("context");
    this.context = ctx !== null && ctx.isObject ? ctx : Value.object();
    const req = raw.get("request");
    this.request = req !== null && req.isObject ? req : Value.object();
  }
}

/** What a shape function returns: the new request, or a refusal. */
export class Result {
  /** The whole new request, when ok. */
  request: Value | null = null;
  /** The refusal's machine-readable code, when not ok. */
  code: string = "";
  /** The refusal's message for a person: what was wrong and what to do. */
  message: string = "";

  /** The shaped request: the host replaces the request with it. */
  static ok(request: Value): Result {
    const r = new Result();
    r.request = request;
    return r;
  }

  /** A refusal: the pipeline stops and reports code and message (an empty
   * code becomes "refused", an empty message a generic one). */
  static refuse(code: string, message: string): Result {
    const r = new Result();
    r.code = code;
    r.message = message;
    return r;
  }
}

function pack(buf: ArrayBuffer, len: i32): u64 {
  lastOutput = buf;
  return (<u64>changetype<usize>(buf) << 32) | <u64>(<u32>len);
}

function refusal(code: string, message: string): Value {
  const err = Value.object().setString("code", code).setString("message", message);
  return Value.object().set("error", err);
}

/**
 * Implements the ABI's shape export: parses the envelope at ptr..ptr+len,
 * calls fn, and returns the packed location of the output JSON.
 * A malformed envelope yields {"error":{"code":"bad_envelope",...}}.
 */
export function shapeWith(ptr: usize, len: i32, fn: (env: Envelope) => Result): u64 {
  // Drop the previous output (the host has read it) and reclaim garbage
  // while no managed object is on the stack.
  lastOutput = null;
  __collect();

  let out: Value;
  const doc = parseBytes(ptr, <usize>len);
  if (ptr == inputPtr && inputPtr != 0) {
    heap.free(inputPtr);
    inputPtr = 0;
  }
  if (doc === null) {
    out = refusal("bad_envelope", "the input envelope is not valid JSON: " + lastParseError());
  } else if (!doc.isObject) {
    out = refusal("bad_envelope", "the input envelope must be a JSON object");
  } else {
    const env = new Envelope(doc);
    if (env.abi != ABI_VERSION) {
      out = refusal("abi_version", "this plugin speaks agentshape ABI v1 but the envelope says abi " + env.abi.toString() + "; rebuild the plugin with a matching kit");
    } else {
      const res = fn(env);
      const req = res.request;
      if (req !== null) {
        out = Value.object().set("request", req);
      } else {
        // ABI v1 needs a non-empty code and message (ABI.md §6): fill in
        // what the plugin left empty rather than emit a malformed output.
        out = refusal(res.code.length > 0 ? res.code : "refused",
          res.message.length > 0 ? res.message : "the plugin refused without a message");
      }
    }
  }
  const w = new Writer(len > 0 ? len + 256 : 1024);
  w.value(out);
  return pack(w.buffer(), w.len);
}
