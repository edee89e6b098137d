//! Tool-call arguments derived from a tool's JSON schema.

use serde_json::{Map, Value, json};

/// The tool call the mock makes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ToolCall {
    pub name: String,
    /// The arguments object.
    pub input: Value,
}

impl ToolCall {
    /// A call to `name` with arguments built from `schema` (an object schema, if any).
    pub(crate) fn new(name: &str, schema: Option<&Value>) -> Self {
        Self {
            name: name.to_owned(),
            input: schema.map_or_else(|| json!({}), example_object),
        }
    }

    /// The arguments as a JSON string.
    pub(crate) fn arguments(&self) -> String {
        self.input.to_string()
    }

    /// The arguments JSON split in two halves (on a char boundary).
    pub(crate) fn argument_halves(&self) -> [String; 2] {
        let args = self.arguments();
        let mut mid = args.len() / 2;
        while !args.is_char_boundary(mid) {
            mid += 1;
        }
        let (a, b) = args.split_at(mid);
        [a.to_owned(), b.to_owned()]
    }
}

/// An object with a value for every required or enum property of an object schema.
fn example_object(schema: &Value) -> Value {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut object = Map::new();
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            if required.contains(&name.as_str()) || property["enum"].is_array() {
                object.insert(name.clone(), example_value(name, property));
            }
        }
    }
    Value::Object(object)
}

/// The command a `cmd` argument gets.
pub(crate) const SHELL_COMMAND: &str = "echo llmux-mock-tool-ran";

fn example_value(name: &str, schema: &Value) -> Value {
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.as_str(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("string"),
        _ if schema["properties"].is_object() => "object",
        _ => "string",
    };
    match kind {
        "integer" => json!(42),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" => json!([]),
        "object" => example_object(schema),
        "null" => Value::Null,
        _ if name == "location" => json!("Paris"),
        // A shell tool's command (Codex's `exec_command`): one that runs anywhere and
        // prints what a test can look for in the tool's result.
        _ if name == "cmd" => json!(SHELL_COMMAND),
        _ => json!("x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_from_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
                "scale": {"type": "number"},
                "verbose": {"type": ["boolean", "null"]},
                "name": {"type": "string"},
                "optional": {"type": "string"}
            },
            "required": ["location", "days", "scale", "verbose", "name"]
        });
        let call = ToolCall::new("get_weather", Some(&schema));
        assert_eq!(
            call.arguments(),
            r#"{"location":"Paris","unit":"celsius","days":42,"scale":1.5,"verbose":true,"name":"x"}"#
        );
        let [a, b] = call.argument_halves();
        assert_eq!(format!("{a}{b}"), call.arguments());
        assert_eq!(ToolCall::new("f", None).arguments(), "{}");
        let shell = json!({"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]});
        assert_eq!(
            ToolCall::new("exec_command", Some(&shell)).arguments(),
            r#"{"cmd":"echo llmux-mock-tool-ran"}"#
        );
    }
}
