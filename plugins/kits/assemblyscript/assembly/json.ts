// A small JSON document model for agentshape plugins: parse UTF-8 JSON bytes
// into a tree of Value, change it, and write it back as UTF-8 bytes.
//
// AssemblyScript has no exceptions, so parse reports failure by returning null
// and leaving the reason in lastParseError(). Numbers keep their original text
// so they round-trip unchanged; object members keep their order.

/** The kind of a JSON value. */
export enum Kind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** A JSON value: null, boolean, number, string, array or object. */
export class Value {
  /** Which kind of value this is. */
  kind: Kind = Kind.Null;
  /** The boolean, for Kind.Bool. */
  flag: bool = false;
  /** The string, for Kind.String; the number's JSON text, for Kind.Number. */
  text: string = "";
  // Containers only: allocated on first use, so scalars cost one object.
  private _items: Array<Value> | null = null;
  private _keys: Array<string> | null = null;

  /** Array elements, or object member values (parallel to keys). */
  get items(): Array<Value> {
    let a = this._items;
    if (a === null) {
      a = new Array<Value>();
      this._items = a;
    }
    return a;
  }

  /** Object member names, in document order. */
  get keys(): Array<string> {
    let a = this._keys;
    if (a === null) {
      a = new Array<string>();
      this._keys = a;
    }
    return a;
  }

  /** Returns a new JSON null. */
  static null(): Value {
    return new Value();
  }

  /** Returns a new JSON boolean. */
  static bool(b: bool): Value {
    const v = new Value();
    v.kind = Kind.Bool;
    v.flag = b;
    return v;
  }

  /** Returns a new JSON string. */
  static string(s: string): Value {
    const v = new Value();
    v.kind = Kind.String;
    v.text = s;
    return v;
  }

  /** Returns a new JSON number from an integer. */
  static int(n: i64): Value {
    const v = new Value();
    v.kind = Kind.Number;
    v.text = n.toString();
    return v;
  }

  /** Returns a new JSON number from a float; NaN and infinities become null. */
  static number(n: f64): Value {
    if (!isFinite(n)) return Value.null();
    if (n == Math.trunc(n) && Math.abs(n) < 9007199254740992.0) return Value.int(<i64>n);
    const v = new Value();
    v.kind = Kind.Number;
    v.text = n.toString();
    return v;
  }

  /** Returns a new, empty JSON array. */
  static array(): Value {
    const v = new Value();
    v.kind = Kind.Array;
    return v;
  }

  /** Returns a new, empty JSON object. */
  static object(): Value {
    const v = new Value();
    v.kind = Kind.Object;
    return v;
  }

  /** Reports whether this is null. */
  get isNull(): bool { return this.kind == Kind.Null; }
  /** Reports whether this is an object. */
  get isObject(): bool { return this.kind == Kind.Object; }
  /** Reports whether this is an array. */
  get isArray(): bool { return this.kind == Kind.Array; }
  /** Reports whether this is a string. */
  get isString(): bool { return this.kind == Kind.String; }

  /** Number of array elements or object members (0 for other kinds). */
  get length(): i32 {
    const a = this._items;
    return a === null ? 0 : a.length;
  }

  /** The number as f64 (0 when this is not a number). */
  toF64(): f64 {
    if (this.kind != Kind.Number) return 0;
    return parseFloat(this.text);
  }

  /** The object member named key, or null when absent or this is not an object. */
  get(key: string): Value | null {
    if (this.kind != Kind.Object) return null;
    const keys = this._keys;
    if (keys === null) return null;
    const items = this.items;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (keys[i] == key) return unchecked(items[i]);
    }
    return null;
  }

  /** Reports whether the object has a member named key. */
  has(key: string): bool {
    return this.get(key) !== null;
  }

  /**
   * Follows a dotted path of object members ("context.user.locale") and
   * returns the value there, or null when any step is missing.
   */
  at(path: string): Value | null {
    let cur: Value | null = this;
    const parts = path.split(".");
    for (let i = 0; i < parts.length; i++) {
      if (cur === null) return null;
      cur = (cur as Value).get(parts[i]);
    }
    return cur;
  }

  /** The string at a dotted path, or fallback when it is missing or not a string. */
  str(path: string, fallback: string = ""): string {
    const v = this.at(path);
    if (v === null || v.kind != Kind.String) return fallback;
    return v.text;
  }

  /** The array element at index i, or null when out of range or not an array. */
  index(i: i32): Value | null {
    if (this.kind != Kind.Array || i < 0 || i >= this.items.length) return null;
    return this.items[i];
  }

  /**
   * Sets the object member key to v (replacing it in place when present,
   * appending otherwise) and returns this. Does nothing on a non-object.
   */
  set(key: string, v: Value): Value {
    if (this.kind != Kind.Object) return this;
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (keys[i] == key) {
        this.items[i] = v;
        return this;
      }
    }
    keys.push(key);
    this.items.push(v);
    return this;
  }

  /** Sets the object member key to the string s and returns this. */
  setString(key: string, s: string): Value {
    return this.set(key, Value.string(s));
  }

  /** Removes the object member key, if present, and returns this. */
  remove(key: string): Value {
    if (this.kind != Kind.Object) return this;
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (keys[i] == key) {
        keys.splice(i, 1);
        this.items.splice(i, 1);
        return this;
      }
    }
    return this;
  }

  /** Appends v to the array and returns this. Does nothing on a non-array. */
  push(v: Value): Value {
    if (this.kind == Kind.Array) this.items.push(v);
    return this;
  }

  /**
   * Returns the object member key, first creating it as an empty object when
   * it is missing or not an object (handy for nested fields such as
   * request.instanceConfig).
   */
  objectAt(key: string): Value {
    let v = this.get(key);
    if (v === null || v.kind != Kind.Object) {
      v = Value.object();
      this.set(key, v);
    }
    return v;
  }

  /**
   * Returns the object member key, first creating it as an empty array when
   * it is missing or not an array (handy for request.variables).
   */
  arrayAt(key: string): Value {
    let v = this.get(key);
    if (v === null || v.kind != Kind.Array) {
      v = Value.array();
      this.set(key, v);
    }
    return v;
  }

  /** The compact JSON text of this value. */
  toString(): string {
    const w = new Writer();
    w.value(this);
    return String.UTF8.decodeUnsafe(w.ptr(), w.len);
  }
}

// ---- parser -------------------------------------------------------------

// Word-at-a-time (SWAR) helpers. The host stops runaway plugins by checking
// at every loop iteration (wazero's close-on-context-done), which makes each
// iteration costly; the hot loops below handle 8 bytes (or 4 UTF-16 units)
// per iteration.
const ONES8: u64 = 0x0101010101010101;
const HIGH8: u64 = 0x8080808080808080;
const ONES16: u64 = 0x0001000100010001;
const HIGH16: u64 = 0x8000800080008000;

// Reports whether some byte of w is 0x22 ("), 0x5c (\\) or below 0x20.
@inline function stringStop8(w: u64): bool {
  const q = w ^ (ONES8 * 0x22);
  const b = w ^ (ONES8 * 0x5c);
  return (((q - ONES8) & ~q) | ((b - ONES8) & ~b) | ((w - ONES8 * 0x20) & ~w)) & HIGH8 ? true : false;
}

// Reports whether some UTF-16 unit of w (4 units) needs more than copying
// its low byte: >= 0x80, < 0x20, '"' or '\\'.
@inline function escape16(w: u64): bool {
  if (w & 0xff80ff80ff80ff80) return true;
  const q = w ^ (ONES16 * 0x22);
  const b = w ^ (ONES16 * 0x5c);
  return (((q - ONES16) & ~q) | ((b - ONES16) & ~b) | ((w - ONES16 * 0x20) & ~w)) & HIGH16 ? true : false;
}

/** Widens len ASCII bytes at ptr into a new string, 4 bytes per step. */
function asciiString(ptr: usize, len: usize): string {
  const out = __new(len << 1, idof<String>());
  let i: usize = 0;
  for (; i + 4 <= len; i += 4) {
    const x = <u64>load<u32>(ptr + i);
    store<u64>(out + (i << 1), (x & 0xff) | ((x & 0xff00) << 8) | ((x & 0xff0000) << 16) | ((x & 0xff000000) << 24));
  }
  for (; i < len; i++) store<u16>(out + (i << 1), <u16>load<u8>(ptr + i));
  return changetype<string>(out);
}

@inline function cont(b: u32, lo: u32, hi: u32): bool {
  return b >= lo && b <= hi;
}

/**
 * Decodes len bytes of UTF-8 at ptr. Like Go's decoder (and so like the host,
 * which builds envelopes with encoding/json), every byte that does not start
 * a valid sequence becomes U+FFFD, so invalid input is never silently dropped.
 */
export function decodeUTF8(ptr: usize, len: usize): string {
  let ascii = true;
  let k: usize = 0;
  for (; k + 8 <= len; k += 8) {
    if (load<u64>(ptr + k) & HIGH8) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (; k < len; k++) {
      if (load<u8>(ptr + k) >= 0x80) {
        ascii = false;
        break;
      }
    }
  }
  if (ascii) return asciiString(ptr, len);
  const out = new StaticArray<u16>(<i32>len);
  let n = 0;
  let i: usize = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) {
      out[n++] = <u16>b0;
      i++;
      continue;
    }
    const b1: u32 = i + 1 < len ? <u32>load<u8>(ptr + i + 1) : 0;
    const b2: u32 = i + 2 < len ? <u32>load<u8>(ptr + i + 2) : 0;
    const b3: u32 = i + 3 < len ? <u32>load<u8>(ptr + i + 3) : 0;
    let cp: u32 = 0xfffd;
    let size: usize = 1;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      if (cont(b1, 0x80, 0xbf)) { cp = ((b0 & 0x1f) << 6) | (b1 & 0x3f); size = 2; }
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      const lo: u32 = b0 == 0xe0 ? 0xa0 : 0x80;
      const hi: u32 = b0 == 0xed ? 0x9f : 0xbf;
      if (cont(b1, lo, hi) && cont(b2, 0x80, 0xbf)) {
        cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
        size = 3;
      }
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      const lo: u32 = b0 == 0xf0 ? 0x90 : 0x80;
      const hi: u32 = b0 == 0xf4 ? 0x8f : 0xbf;
      if (cont(b1, lo, hi) && cont(b2, 0x80, 0xbf) && cont(b3, 0x80, 0xbf)) {
        cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
        size = 4;
      }
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out[n++] = <u16>(0xd800 + (cp >> 10));
      out[n++] = <u16>(0xdc00 + (cp & 0x3ff));
    } else {
      out[n++] = <u16>cp;
    }
    i += size;
  }
  return String.UTF16.decodeUnsafe(changetype<usize>(out), <usize>n << 1);
}

let parseError: string = "";

/** The reason the last parse call returned null ("" after a success). */
export function lastParseError(): string {
  return parseError;
}

/** Maximum nesting depth accepted by the parser. */
export const MAX_DEPTH: i32 = 256;

class Parser {
  pos: usize;
  end: usize;
  base: usize;
  failed: bool = false;

  constructor(ptr: usize, len: usize) {
    this.base = ptr;
    this.pos = ptr;
    this.end = ptr + len;
  }

  fail(msg: string): Value | null {
    if (!this.failed) {
      this.failed = true;
      parseError = msg + " at byte " + (this.pos - this.base).toString();
    }
    return null;
  }

  skipSpace(): void {
    while (this.pos < this.end) {
      const c = load<u8>(this.pos);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.pos++;
      else break;
    }
  }

  peek(): i32 {
    return this.pos < this.end ? <i32>load<u8>(this.pos) : -1;
  }

  literal(word: string): bool {
    const n = <usize>word.length;
    if (this.pos + n > this.end) return false;
    for (let i: usize = 0; i < n; i++) {
      if (<i32>load<u8>(this.pos + i) != word.charCodeAt(<i32>i)) return false;
    }
    this.pos += n;
    return true;
  }

  value(depth: i32): Value | null {
    if (depth > MAX_DEPTH) return this.fail("JSON nested deeper than " + MAX_DEPTH.toString() + " levels");
    this.skipSpace();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      return Value.string(s);
    }
    if (c == 0x74) { if (this.literal("true")) return Value.bool(true); return this.fail("invalid literal"); }
    if (c == 0x66) { if (this.literal("false")) return Value.bool(false); return this.fail("invalid literal"); }
    if (c == 0x6e) { if (this.literal("null")) return Value.null(); return this.fail("invalid literal"); }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c < 0) return this.fail("unexpected end of JSON");
    return this.fail("unexpected character '" + String.fromCharCode(c) + "'");
  }

  digits(): i32 {
    let n = 0;
    while (this.pos < this.end) {
      const c = load<u8>(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
      n++;
    }
    return n;
  }

  number(): Value | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
    } else if (this.digits() == 0) {
      return this.fail("invalid number");
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: digits expected after '.'");
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const s = this.peek();
      if (s == 0x2b || s == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: digits expected in exponent");
    }
    const v = new Value();
    v.kind = Kind.Number;
    v.text = String.UTF8.decodeUnsafe(start, this.pos - start);
    return v;
  }

  hex4(): i32 {
    if (this.pos + 4 > this.end) return -1;
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.pos + <usize>i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      r = (r << 4) | d;
    }
    this.pos += 4;
    return r;
  }

  // string parses a JSON string starting at the opening quote.
  string(): string | null {
    this.pos++; // opening quote
    let runStart = this.pos;
    let parts: Array<string> | null = null;
    while (true) {
      while (this.pos + 8 <= this.end && !stringStop8(load<u64>(this.pos))) this.pos += 8;
      if (this.pos >= this.end) {
        this.fail("unterminated string");
        return null;
      }
      const c = load<u8>(this.pos);
      if (c == 0x22) {
        const tail = decodeUTF8(runStart, this.pos - runStart);
        this.pos++;
        if (parts === null) return tail;
        parts.push(tail);
        return parts.join("");
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      // escape
      if (parts === null) parts = new Array<string>();
      parts.push(decodeUTF8(runStart, this.pos - runStart));
      this.pos++;
      if (this.pos >= this.end) {
        this.fail("unterminated escape");
        return null;
      }
      const e = load<u8>(this.pos);
      this.pos++;
      if (e == 0x22) parts.push("\"");
      else if (e == 0x5c) parts.push("\\");
      else if (e == 0x2f) parts.push("/");
      else if (e == 0x62) parts.push("\b");
      else if (e == 0x66) parts.push("\f");
      else if (e == 0x6e) parts.push("\n");
      else if (e == 0x72) parts.push("\r");
      else if (e == 0x74) parts.push("\t");
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) {
          this.fail("invalid \\u escape");
          return null;
        }
        parts.push(String.fromCharCode(u));
      } else {
        this.pos--;
        this.fail("invalid escape");
        return null;
      }
      runStart = this.pos;
    }
  }

  array(depth: i32): Value | null {
    this.pos++; // [
    const out = Value.array();
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
      return out;
    }
    while (true) {
      const v = this.value(depth + 1);
      if (v === null) return null;
      out.items.push(v);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; return out; }
      return this.fail("expected ',' or ']' in array");
    }
  }

  object(depth: i32): Value | null {
    this.pos++; // {
    const out = Value.object();
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
      return out;
    }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail("expected string member name in object");
      const key = this.string();
      if (key === null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':' after member name");
      this.pos++;
      const v = this.value(depth + 1);
      if (v === null) return null;
      // Duplicate names: the last one wins, as in most JSON readers.
      out.set(key, v);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; return out; }
      return this.fail("expected ',' or '}' in object");
    }
  }
}

/**
 * Parses len bytes of UTF-8 JSON at ptr. Returns null on malformed input;
 * lastParseError() then says what was wrong and where.
 */
export function parseBytes(ptr: usize, len: usize): Value | null {
  parseError = "";
  const p = new Parser(ptr, len);
  const v = p.value(0);
  if (v === null) return null;
  p.skipSpace();
  if (p.pos != p.end) return p.fail("unexpected data after the JSON value");
  return v;
}

/** Parses a JSON text; see parseBytes. */
export function parse(text: string): Value | null {
  const buf = String.UTF8.encode(text);
  return parseBytes(changetype<usize>(buf), <usize>buf.byteLength);
}

// ---- writer -------------------------------------------------------------

const HEX = "0123456789abcdef";

/** Writer serialises Values as compact UTF-8 JSON into a growable buffer. */
export class Writer {
  buf: ArrayBuffer;
  len: i32 = 0;

  constructor(capacity: i32 = 1024) {
    this.buf = new ArrayBuffer(capacity);
  }

  /** Address of the first written byte (valid until the next write). */
  ptr(): usize {
    return changetype<usize>(this.buf);
  }

  /** The buffer holding the written bytes (the first len bytes are valid). */
  buffer(): ArrayBuffer {
    return this.buf;
  }

  grow(extra: i32): void {
    const need = this.len + extra;
    let cap = this.buf.byteLength;
    if (need <= cap) return;
    while (cap < need) cap = cap * 2 + 16;
    const nb = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(nb), changetype<usize>(this.buf), <usize>this.len);
    this.buf = nb;
  }

  byte(b: i32): void {
    this.grow(1);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, <u8>b);
    this.len++;
  }

  ascii(s: string): void {
    const n = s.length;
    this.grow(n);
    const p = changetype<usize>(this.buf) + <usize>this.len;
    for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
    this.len += n;
  }

  /** Writes s as a quoted JSON string, escaping as needed and encoding UTF-8. */
  quoted(s: string): void {
    this.byte(0x22);
    const n = s.length;
    // Runs of 4 plain ASCII units are copied 4 at a time.
    this.grow(n);
    const src = changetype<usize>(s);
    for (let i = 0; i < n; i++) {
      while (i + 4 <= n) {
        const w = load<u64>(src + (<usize>i << 1));
        if (escape16(w)) break;
        this.grow(4);
        store<u32>(changetype<usize>(this.buf) + <usize>this.len,
          <u32>((w & 0xff) | ((w >> 8) & 0xff00) | ((w >> 16) & 0xff0000) | ((w >> 24) & 0xff000000)));
        this.len += 4;
        i += 4;
      }
      if (i >= n) break;
      let c = <i32>s.charCodeAt(i);
      if (c == 0x22) { this.byte(0x5c); this.byte(0x22); continue; }
      if (c == 0x5c) { this.byte(0x5c); this.byte(0x5c); continue; }
      if (c < 0x20) {
        if (c == 0x0a) { this.byte(0x5c); this.byte(0x6e); continue; }
        if (c == 0x0d) { this.byte(0x5c); this.byte(0x72); continue; }
        if (c == 0x09) { this.byte(0x5c); this.byte(0x74); continue; }
        this.ascii("\\u00");
        this.byte(HEX.charCodeAt(c >> 4));
        this.byte(HEX.charCodeAt(c & 15));
        continue;
      }
      if (c < 0x80) { this.byte(c); continue; }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 63));
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = <i32>s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          this.byte(0xf0 | (cp >> 18));
          this.byte(0x80 | ((cp >> 12) & 63));
          this.byte(0x80 | ((cp >> 6) & 63));
          this.byte(0x80 | (cp & 63));
          i++;
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // A lone surrogate has no UTF-8 form: escape it so the output stays valid UTF-8.
        this.ascii("\\u");
        this.byte(HEX.charCodeAt((c >> 12) & 15));
        this.byte(HEX.charCodeAt((c >> 8) & 15));
        this.byte(HEX.charCodeAt((c >> 4) & 15));
        this.byte(HEX.charCodeAt(c & 15));
        continue;
      }
      this.byte(0xe0 | (c >> 12));
      this.byte(0x80 | ((c >> 6) & 63));
      this.byte(0x80 | (c & 63));
    }
    this.byte(0x22);
  }

  /** Writes v as compact JSON. */
  value(v: Value): void {
    switch (v.kind) {
      case Kind.Null: this.ascii("null"); break;
      case Kind.Bool: this.ascii(v.flag ? "true" : "false"); break;
      case Kind.Number: this.ascii(v.text); break;
      case Kind.String: this.quoted(v.text); break;
      case Kind.Array: {
        this.byte(0x5b);
        for (let i = 0, n = v.items.length; i < n; i++) {
          if (i > 0) this.byte(0x2c);
          this.value(v.items[i]);
        }
        this.byte(0x5d);
        break;
      }
      default: {
        this.byte(0x7b);
        for (let i = 0, n = v.keys.length; i < n; i++) {
          if (i > 0) this.byte(0x2c);
          this.quoted(v.keys[i]);
          this.byte(0x3a);
          this.value(v.items[i]);
        }
        this.byte(0x7d);
      }
    }
  }
}
