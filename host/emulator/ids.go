package emulator

import (
	"encoding/hex"
	"math/rand/v2"
)

// ValidAgentID reports whether id has the documented agent ID form
// (agent-api.md §1): a BotDefinition ID, prefix 0Xx, 15 or 18 letters and
// digits. The 18-character checksum suffix is not verified (the reference's
// own sample IDs do not carry a valid one).
func ValidAgentID(id string) bool {
	if len(id) != 15 && len(id) != 18 {
		return false
	}
	if id[:3] != "0Xx" {
		return false
	}
	for i := 3; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// newUUID returns a random version-4 UUID string. Session and request IDs
// need uniqueness, not secrecy, so the fast runtime generator is used.
func newUUID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
