// SHA-1 (FIPS 180-4) over a byte array, for name-based (version 5) UUIDs.
// SHA-1 is used here only because RFC 9562 defines version 5 UUIDs with it;
// it is not used for anything security-relevant.

@inline function rotl(x: u32, n: u32): u32 {
  return (x << n) | (x >>> (32 - n));
}

/** Returns the 20-byte SHA-1 digest of data. */
export function sha1(data: Uint8Array): Uint8Array {
  const len = data.length;
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, to a multiple of 64 bytes.
  const total = ((len + 9 + 63) / 64) * 64;
  const msg = new Uint8Array(total);
  for (let i = 0; i < len; i++) msg[i] = data[i];
  msg[len] = 0x80;
  const bits: u64 = <u64>len * 8;
  for (let i = 0; i < 8; i++) msg[total - 1 - i] = <u8>(bits >> (<u64>(8 * i)));

  let h0: u32 = 0x67452301;
  let h1: u32 = 0xefcdab89;
  let h2: u32 = 0x98badcfe;
  let h3: u32 = 0x10325476;
  let h4: u32 = 0xc3d2e1f0;
  const w = new StaticArray<u32>(80);
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) {
      const p = off + t * 4;
      w[t] = (<u32>msg[p] << 24) | (<u32>msg[p + 1] << 16) | (<u32>msg[p + 2] << 8) | <u32>msg[p + 3];
    }
    for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let t = 0; t < 80; t++) {
      let f: u32, k: u32;
      if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
      else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
      else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
      else { f = b ^ c ^ d; k = 0xca62c1d6; }
      const tmp = rotl(a, 5) + f + e + k + w[t];
      e = d; d = c; c = rotl(b, 30); b = a; a = tmp;
    }
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
  }
  const out = new Uint8Array(20);
  const hs: u32[] = [h0, h1, h2, h3, h4];
  for (let i = 0; i < 5; i++) {
    out[i * 4] = <u8>(hs[i] >>> 24);
    out[i * 4 + 1] = <u8>(hs[i] >>> 16);
    out[i * 4 + 2] = <u8>(hs[i] >>> 8);
    out[i * 4 + 3] = <u8>hs[i];
  }
  return out;
}
