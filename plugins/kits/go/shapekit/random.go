package shapekit

// Random fills b with random bytes from the host (WASI random_get in wasm,
// crypto/rand natively). The host decides their source: real randomness by
// default, a seeded stream in deterministic mode.
func Random(b []byte) error { return fillRandom(b) }
