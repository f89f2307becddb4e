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

// sessionID is a UUID in binary form; sessions are stored under it.
type sessionID [16]byte

// newUUID returns a random version-4 UUID string. Session and request IDs
// need uniqueness, not secrecy, so the fast runtime generator is used.
func newUUID() string { return newSessionID().String() }

// newSessionID returns a random version-4 UUID.
func newSessionID() sessionID {
	var id sessionID
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		id[i] = byte(a >> (8 * i))
		id[8+i] = byte(c >> (8 * i))
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// uuidGroups are the hex groups of the canonical UUID form, as [start, end) offsets.
var uuidGroups = [5][2]int{{0, 8}, {9, 13}, {14, 18}, {19, 23}, {24, 36}}

// String formats id in the lower-case canonical form the API returns.
func (id sessionID) String() string {
	var out [36]byte
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	j := 0
	for _, g := range uuidGroups {
		n := (g[1] - g[0]) / 2
		hex.Encode(out[g[0]:g[1]], id[j:j+n])
		j += n
	}
	return string(out[:])
}

// parseSessionID reads the form String writes; any other spelling (upper
// case, braces, no hyphens) names no session, as on the API.
func parseSessionID(s string) (sessionID, bool) {
	var id sessionID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	j := 0
	for _, g := range uuidGroups {
		for i := g[0]; i < g[1]; i += 2 {
			hi, ok1 := lowerHex(s[i])
			lo, ok2 := lowerHex(s[i+1])
			if !ok1 || !ok2 {
				return id, false
			}
			id[j] = hi<<4 | lo
			j++
		}
	}
	return id, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
