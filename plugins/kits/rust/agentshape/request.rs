//! The Start Session request body ([`Request`]) and its variables ([`Variable`]).

use crate::json::{Object, Value};
use crate::Error;

/// The code of a refusal for a request member of the wrong shape.
pub const CODE_BAD_REQUEST: &str = "bad_request";

/// A Start Session request body (docs/agent-api.md §2) as a JSON object.
/// Paths are dotted member names, e.g. `"instanceConfig.endpoint"`. Members
/// keep their order and numbers their text, so what a plugin does not touch
/// passes through unchanged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request(pub Object);

impl Request {
    /// An empty request, `{}`.
    pub fn new() -> Request {
        Request(Object::new())
    }

    /// The value at `path`.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.0.path(path)
    }

    /// The string at `path` (`None` when absent or not a string).
    pub fn get_str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// Stores `value` at `path`, creating missing (or `null`) intermediate
    /// objects. It fails, naming the member, when an intermediate member
    /// exists but is not an object.
    pub fn set(&mut self, path: &str, value: impl Into<Value>) -> Result<(), Error> {
        let keys: Vec<&str> = path.split('.').collect();
        let (last, parents) = keys.split_last().expect("split yields at least one key");
        let mut obj = &mut self.0;
        for (i, key) in parents.iter().enumerate() {
            let slot = obj.entry_or_insert_with(key, || Value::Object(Object::new()));
            if slot.is_null() {
                *slot = Value::Object(Object::new());
            }
            obj = match slot {
                Value::Object(o) => o,
                other => {
                    return Err(Error::new(
                        CODE_BAD_REQUEST,
                        format!("request.{} is {}, not an object; cannot set request.{}", keys[..=i].join("."), other.kind(), path),
                    ))
                }
            };
        }
        obj.insert(*last, value);
        Ok(())
    }

    /// Removes the member at `path` and returns it, if it exists.
    pub fn remove(&mut self, path: &str) -> Option<Value> {
        let mut keys = path.rsplitn(2, '.');
        let last = keys.next()?;
        match keys.next() {
            None => self.0.remove(last),
            Some(parent) => {
                let mut obj = &mut self.0;
                for key in parent.split('.') {
                    obj = obj.get_mut(key)?.as_object_mut()?;
                }
                obj.remove(last)
            }
        }
    }

    /// The request's variables; an absent or `null` member is an empty list.
    /// A member of the wrong shape is an error naming the entry.
    pub fn variables(&self) -> Result<Vec<Variable>, Error> {
        let list = match self.0.get("variables") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(v) => {
                return Err(Error::new(CODE_BAD_REQUEST, format!("request.variables is {}, not an array of variables", v.kind())))
            }
        };
        let mut vars = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let obj = match item {
                Value::Object(o) => o,
                v => return Err(Error::new(CODE_BAD_REQUEST, format!("request.variables[{}] is {}, not an object", i, v.kind()))),
            };
            let field = |key: &str| -> Result<String, Error> {
                match obj.get(key) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    v => Err(Error::new(
                        CODE_BAD_REQUEST,
                        format!("request.variables[{}].{} is {}, not a string", i, key, v.map_or("null", Value::kind)),
                    )),
                }
            };
            vars.push(Variable { name: field("name")?, r#type: field("type")?, value: field("value")? });
        }
        Ok(vars)
    }

    /// Replaces the request's variables with `vars`.
    pub fn set_variables(&mut self, vars: &[Variable]) {
        let list: Vec<Value> = vars.iter().map(Variable::to_value).collect();
        self.0.insert("variables", Value::Array(list));
    }

    /// Sets one variable: replaces the first entry with the same name (in its
    /// place), or appends it; other entries are kept as they are, whatever
    /// their shape. Fails when `variables` is there but not an array.
    pub fn put_variable(&mut self, var: Variable) -> Result<(), Error> {
        let slot = self.0.entry_or_insert_with("variables", || Value::Array(Vec::new()));
        if slot.is_null() {
            *slot = Value::Array(Vec::new());
        }
        let list = match slot {
            Value::Array(list) => list,
            v => {
                return Err(Error::new(CODE_BAD_REQUEST, format!("request.variables is {}, not an array of variables", v.kind())))
            }
        };
        let same = list.iter().position(|item| item.get("name").and_then(Value::as_str) == Some(var.name.as_str()));
        match same {
            Some(i) => list[i] = var.to_value(),
            None => list.push(var.to_value()),
        }
        Ok(())
    }

    /// The request as a JSON object.
    pub fn as_object(&self) -> &Object {
        &self.0
    }

    /// The request as a JSON object, to change it directly.
    pub fn as_object_mut(&mut self) -> &mut Object {
        &mut self.0
    }

    /// The request as compact JSON text.
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
}

impl From<Object> for Request {
    fn from(o: Object) -> Request {
        Request(o)
    }
}

/// One entry of the request's `variables` array (docs/agent-api.md §3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variable {
    /// The API name: `"$Context.X"` for context variables, the bare name for custom ones.
    pub name: String,
    /// One of [`VARIABLE_TYPES`].
    pub r#type: String,
    /// The value encoded as a string, as the Agent API expects.
    pub value: String,
}

/// The documented values of a variable's `type` (docs/agent-api.md §3).
pub const VARIABLE_TYPES: [&str; 10] = ["Object", "Json", "Boolean", "Date", "DateTime", "Money", "Number", "Text", "Ref", "List"];

/// Whether `t` is one of [`VARIABLE_TYPES`] (case-sensitive).
pub fn valid_variable_type(t: &str) -> bool {
    VARIABLE_TYPES.contains(&t)
}

impl Variable {
    /// A variable of any type.
    pub fn new(name: impl Into<String>, r#type: impl Into<String>, value: impl Into<String>) -> Variable {
        Variable { name: name.into(), r#type: r#type.into(), value: value.into() }
    }

    /// A `Text` variable.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Variable {
        Variable::new(name, "Text", value)
    }

    /// The variable as the request holds it: `{"name":…,"type":…,"value":…}`.
    pub fn to_value(&self) -> Value {
        Value::Object(Object::new().with("name", self.name.as_str()).with("type", self.r#type.as_str()).with("value", self.value.as_str()))
    }
}
