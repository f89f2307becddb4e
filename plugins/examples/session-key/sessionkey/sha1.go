package sessionkey

// sha1Sum is SHA-1 (FIPS 180-4 §6.1), used only to derive name-based
// (version 5) UUIDs as RFC 9562 §5.5 specifies. The plugin carries its own
// because crypto/sha1 links Go's FIPS crypto module (and encoding/binary
// reflection) into the wasm.
func sha1Sum(msg []byte) [20]byte {
	h := [5]uint32{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}
	// Padding: 0x80, zeros, then the bit length as a 64-bit big-endian number.
	n := len(msg)
	padded := make([]byte, (n+8)/64*64+64)
	copy(padded, msg)
	padded[n] = 0x80
	bits := uint64(n) * 8
	for i := 0; i < 8; i++ {
		padded[len(padded)-1-i] = byte(bits >> (8 * i))
	}

	var w [80]uint32
	for block := 0; block < len(padded); block += 64 {
		for t := 0; t < 16; t++ {
			p := padded[block+4*t:]
			w[t] = uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
		}
		for t := 16; t < 80; t++ {
			x := w[t-3] ^ w[t-8] ^ w[t-14] ^ w[t-16]
			w[t] = x<<1 | x>>31
		}
		a, b, c, d, e := h[0], h[1], h[2], h[3], h[4]
		for t := 0; t < 80; t++ {
			var f, k uint32
			switch {
			case t < 20:
				f, k = (b&c)|(^b&d), 0x5A827999
			case t < 40:
				f, k = b^c^d, 0x6ED9EBA1
			case t < 60:
				f, k = (b&c)|(b&d)|(c&d), 0x8F1BBCDC
			default:
				f, k = b^c^d, 0xCA62C1D6
			}
			tmp := (a<<5 | a>>27) + f + e + k + w[t]
			e, d, c, b, a = d, c, b<<30|b>>2, a, tmp
		}
		h[0] += a
		h[1] += b
		h[2] += c
		h[3] += d
		h[4] += e
	}
	var out [20]byte
	for i, v := range h {
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	return out
}
