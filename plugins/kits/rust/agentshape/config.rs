//! The plugin's configuration from the manifest ([`Config`]).

use crate::json::{Object, Value};
use crate::Error;

/// The code of a refusal for a configuration of the wrong shape.
pub const CODE_BAD_CONFIG: &str = "bad_config";

/// A plugin's configuration from the manifest (`plugin.config`). Its
/// accessors return the default when the key is absent or `null`, and an
/// [`Error`] with code `bad_config` naming the key when the value has the
/// wrong type (the Go kit's wording), so `?` turns a bad manifest into a
/// refusal that says what to fix.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config(pub Object);

impl Config {
    fn lookup(&self, key: &str) -> Option<&Value> {
        match self.0.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn wrong(key: &str, want: &str, v: &Value) -> Error {
        Error::new(CODE_BAD_CONFIG, format!("config.{} must be {}, got {}", key, want, v.kind()))
    }

    /// The raw value of `key`, `None` when absent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// `config[key]` as a string.
    pub fn string(&self, key: &str, default: &str) -> Result<String, Error> {
        match self.lookup(key) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(Config::wrong(key, "a string", v)),
        }
    }

    /// `config[key]` as a boolean.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.lookup(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Config::wrong(key, "true or false", v)),
        }
    }

    /// `config[key]` as a number.
    pub fn f64(&self, key: &str, default: f64) -> Result<f64, Error> {
        match self.lookup(key) {
            None => Ok(default),
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| Config::wrong(key, "a number", &Value::Number(n.clone()))),
            Some(v) => Err(Config::wrong(key, "a number", v)),
        }
    }

    /// `config[key]` as a JSON array (`None` when absent).
    pub fn list(&self, key: &str) -> Result<Option<&Vec<Value>>, Error> {
        match self.lookup(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(Config::wrong(key, "a list", v)),
        }
    }

    /// `config[key]` as a JSON object (`None` when absent).
    pub fn object(&self, key: &str) -> Result<Option<&Object>, Error> {
        match self.lookup(key) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(v) => Err(Config::wrong(key, "an object", v)),
        }
    }
}
