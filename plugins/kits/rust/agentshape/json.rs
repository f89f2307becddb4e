//! A small JSON codec: [`Value`], [`Object`] (members keep their order),
//! [`Number`] (kept as written), [`parse`] and compact writing ([`Value::to_json`]).
//!
//! The reader follows RFC 8259 strictly (what Go's `encoding/json` accepts),
//! rejects trailing data, nests at most [`MAX_DEPTH`] levels, turns invalid
//! UTF-8 and lone surrogates into U+FFFD (as Go does) and, when an object
//! repeats a member name, keeps the last value in the first one's place.
//! The writer escapes `"`, `\` and control characters, like the Go kit.

use std::fmt;

/// The deepest nesting [`parse`] accepts (the Go kit's limit), so hostile
/// input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 512;

/// A JSON value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, kept as its text.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object; members keep their order.
    Object(Object),
}

/// A JSON number kept as the text it was written as, so values a plugin does
/// not touch pass through unchanged (`1E+21`, `-0`, 30-digit integers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    /// The number's JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as an `f64` (the nearest one; `None` only if the text is
    /// not a number, which [`parse`] never produces).
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse().ok()
    }

    /// The number as an `i64` when it is written as an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The number as a `u64` when it is written as a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// A number from an `f64`; `None` for NaN and infinities, which JSON cannot hold.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_finite() {
            Some(Number(format!("{}", f)))
        } else {
            None
        }
    }

    /// A number from JSON number text; `None` when `text` is not one.
    pub fn from_text(text: &str) -> Option<Number> {
        let mut r = Reader { s: text.as_bytes(), i: 0 };
        match r.number() {
            Ok(n) if r.i == text.len() => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! number_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(n: $t) -> Number { Number(n.to_string()) }
        }
        impl From<$t> for Value {
            fn from(n: $t) -> Value { Value::Number(Number::from(n)) }
        }
    )*};
}
number_from_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// A JSON object: members in order, names unique.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    members: Vec<(String, Value)>,
}

impl Object {
    /// An empty object.
    pub fn new() -> Object {
        Object { members: Vec::new() }
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.members.iter().position(|(k, _)| k == key)
    }

    /// The value of member `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of member `key`, to change it in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The string value of member `key` (`None` when absent or not a string).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Whether the object has a member `key` (even a `null` one).
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets member `key` to `value`: a member already there keeps its place,
    /// a new one goes last. Returns the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.members[i].1, value)),
            None => {
                self.members.push((key, value));
                None
            }
        }
    }

    /// [`Object::insert`] for building objects in one expression:
    /// `Object::new().with("name", "tier").with("type", "Text")`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Object {
        self.insert(key, value);
        self
    }

    /// Removes member `key` and returns its value; the other members keep their order.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).map(|i| self.members.remove(i).1)
    }

    /// The value of member `key`, inserting `default()` first when it is absent.
    pub fn entry_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.position(key) {
            Some(i) => i,
            None => {
                self.members.push((key.to_string(), default()));
                self.members.len() - 1
            }
        };
        &mut self.members[i].1
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The members in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> {
        self.members.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// The member names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(k, _)| k.as_str())
    }

    /// The value at a dotted path of member names (`"user.attributes.tier"`).
    pub fn path(&self, path: &str) -> Option<&Value> {
        let mut keys = path.split('.');
        let mut cur = self.get(keys.next()?)?;
        for key in keys {
            cur = cur.as_object()?.get(key)?;
        }
        Some(cur)
    }

    /// The object as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        write_object(&mut out, self);
        into_string(out)
    }

    /// Appends the object as compact JSON text to `out`.
    pub fn to_json_into(&self, out: &mut Vec<u8>) {
        write_object(out, self);
    }
}

impl IntoIterator for Object {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.members.into_iter()
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Object {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Object {
        let mut o = Object::new();
        for (k, v) in iter {
            o.insert(k, v);
        }
        o
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl Value {
    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, when this is a number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `f64`, when this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// The number as an `i64`, when this is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The elements, when this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The elements to change, when this is an array.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, when this is an object.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The object to change, when this is an object.
    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Member `key`, when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// The value at a dotted path of member names, when this is an object.
    pub fn path(&self, path: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.path(path))
    }

    /// Names the value's type for messages: "null", "a boolean", "a number",
    /// "a string", "an array" or "an object" (the Go kit's words).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The value as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        write_value(&mut out, self);
        into_string(out)
    }

    /// Appends the value as compact JSON text to `out`.
    pub fn to_json_into(&self, out: &mut Vec<u8>) {
        write_value(out, self);
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

/// NaN and infinities become `null` (JSON has no such numbers).
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => Value::Null,
        }
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        Value::Object(o)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

/// `None` becomes `null`.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        match v {
            Some(v) => v.into(),
            None => Value::Null,
        }
    }
}

impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

// ---- reading ---------------------------------------------------------------

/// Why [`parse`] refused its input, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The byte offset where reading stopped.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses one JSON value from `input`; anything but whitespace after it is an error.
pub fn parse(input: &[u8]) -> Result<Value, ParseError> {
    let mut r = Reader { s: input, i: 0 };
    r.ws();
    let v = r.value(0)?;
    r.ws();
    if r.i != r.s.len() {
        return Err(r.fail("unexpected data after the JSON value"));
    }
    Ok(v)
}

/// [`parse`] for text.
pub fn parse_str(input: &str) -> Result<Value, ParseError> {
    parse(input.as_bytes())
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, message: &str) -> ParseError {
        ParseError { offset: self.i, message: message.to_string() }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.fail(&format!("nested deeper than {} levels", MAX_DEPTH)));
        }
        match self.peek() {
            None => Err(self.fail("unexpected end of JSON")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(c) => Err(self.fail(&format!("unexpected character {:?}", c as char))),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, ParseError> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.fail("invalid literal"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.i += 1; // {
        let mut obj = Object::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(obj));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a string member name in object"));
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.fail("expected ':' after member name"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            obj.insert(key, v);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(obj));
                }
                None => return Err(self.fail("unexpected end of JSON in object")),
                Some(_) => return Err(self.fail("expected ',' or '}' in object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.i += 1; // [
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.fail("unexpected end of JSON in array")),
                Some(_) => return Err(self.fail("expected ',' or ']' in array")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Number, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else if self.digits() == 0 {
            return Err(self.fail("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.fail("digits expected after '.' in number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("digits expected in the exponent of number"));
            }
        }
        // The bytes are ASCII digits, signs, '.', 'e' and 'E'.
        Ok(Number(String::from_utf8_lossy(&self.s[start..self.i]).into_owned()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let mut n = 0u32;
        for &c in h {
            n = n * 16 + (c as char).to_digit(16)?;
        }
        self.i += 4;
        Some(n)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.i += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            // Copy the run of plain bytes up to the next quote, backslash or control character.
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(&self.s[start..self.i]);
            match self.peek() {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(utf8_or_replace(out));
                }
                Some(b'\\') => {}
                Some(_) => return Err(self.fail("control character in string")),
            }
            self.i += 1; // backslash
            let e = match self.peek() {
                Some(e) => e,
                None => return Err(self.fail("unterminated string")),
            };
            let at = self.i;
            self.i += 1;
            let c = match e {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hi = match self.hex4() {
                        Some(h) => h,
                        None => return Err(ParseError { offset: at, message: "invalid \\u escape in string".to_string() }),
                    };
                    self.surrogate_pair(hi)
                }
                _ => return Err(ParseError { offset: at, message: "invalid escape in string".to_string() }),
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }

    /// The character of \u escape `hi`, reading a following low-surrogate
    /// escape when `hi` is a high surrogate; a lone surrogate is U+FFFD
    /// (and a following escape that is not its pair is left to be read).
    fn surrogate_pair(&mut self, hi: u32) -> char {
        if (0xD800..0xDC00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
            let save = self.i;
            self.i += 2;
            match self.hex4() {
                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                    return char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).unwrap_or('\u{FFFD}');
                }
                _ => self.i = save,
            }
        }
        char::from_u32(hi).unwrap_or('\u{FFFD}')
    }
}

/// Turns bytes into a String, each byte that is not part of valid UTF-8
/// becoming U+FFFD (as Go's encoding/json does).
fn utf8_or_replace(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = String::with_capacity(bytes.len() + 8);
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(e) => {
                        let good = e.valid_up_to();
                        out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or(""));
                        out.push('\u{FFFD}');
                        rest = &rest[good + 1..];
                    }
                }
            }
            out
        }
    }
}

// ---- writing ---------------------------------------------------------------

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` to `out` as a quoted JSON string.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x20 && c != b'"' && c != b'\\' {
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

fn write_object(out: &mut Vec<u8>, o: &Object) {
    out.push(b'{');
    for (i, (k, v)) in o.members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, k);
        out.push(b':');
        write_value(out, v);
    }
    out.push(b'}');
}

fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.0.as_bytes()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(o) => write_object(out, o),
    }
}

fn into_string(out: Vec<u8>) -> String {
    // The writer only appends valid UTF-8 (strings) and ASCII.
    String::from_utf8(out).unwrap_or_default()
}
