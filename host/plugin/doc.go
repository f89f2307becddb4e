// Package plugin hosts agentshape's WebAssembly plugins on wazero: it loads,
// verifies (sha256 pin, ABI v1 imports and exports) and compiles modules with
// an on-disk compilation cache, keeps a bounded pool of pre-initialised
// instances per reactor plugin, runs command plugins in a fresh instance per
// call, and enforces per-plugin limits (memory pages, call timeout, fuel,
// output size, call stack) inside a sandbox with no arguments, environment,
// files or sockets unless granted.
//
// Every failure is a *Error naming the plugin, the phase and the kind of
// fault (errors.Is(err, plugin.ErrTimeout) etc.).
//
// The supported API is what this package exports, for running one plugin
// without a pipeline (package agentshape runs whole pipelines): a Runtime
// (NewRuntime with RuntimeOptions, DefaultCacheDir; Engine and
// StopMechanism choose wazero's engine and how plugins are stopped), a
// Plugin from Runtime.Load with a Spec (Limits, Grants and the Check*
// functions a manifest reader validates grants with), its calls (Shape —
// ShapeDecoded also returns the new request decoded — or Envelope, Call
// and Decode; Warm, Stats, Close), per-call options in the
// context (WithLogger, WithCallStats and CallStats), and the errors (Error,
// Phase, the Err* kinds). How limits are enforced is not part of it: the
// module rewrite behind timeouts, fuel and the stack budget is
// internal/instrument, the WebAssembly binary reader internal/wasmbin.
package plugin
