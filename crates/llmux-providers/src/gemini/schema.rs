//! JSON Schema → the OpenAPI subset Gemini accepts for function parameters and
//! `response_schema`, as LiteLLM's `build_vertex_schema` (`vertex_ai/common_utils.py`).
//!
//! In order: inline `$defs` references, turn type arrays into `anyOf`, turn `anyOf` with
//! `null` into `nullable`, replace empty-string enum values by `null`, drop enums on
//! non-string types, give arrays `items`, give objects `type: object`, then keep only the
//! fields Gemini's `Schema` has (`propertyOrdering` added for response schemas).

use llmux_types::{Error, JsonMap};
use serde_json::Value;

/// LiteLLM's `DEFAULT_MAX_RECURSE_DEPTH`.
const MAX_DEPTH: usize = 100;

/// Fields of Gemini's `Schema`.
const SCHEMA_FIELDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "default",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "properties",
    "propertyOrdering",
    "required",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
];

/// `build_vertex_schema(parameters, add_property_ordering)`.
pub(crate) fn build_vertex_schema(
    mut schema: Value,
    property_ordering: bool,
) -> Result<Value, Error> {
    let defs = match &mut schema {
        Value::Object(map) => map.remove("$defs"),
        _ => None,
    };
    let defs = match defs {
        Some(Value::Object(d)) => d,
        _ => JsonMap::new(),
    };
    unpack_defs(&mut schema, &defs, &mut Vec::new(), 0)?;
    convert_types(&mut schema, 0)?;
    anyof_null_to_nullable(&mut schema, 0)?;
    enum_empty_strings(&mut schema, 0)?;
    enum_only_on_strings(&mut schema, 0)?;
    process_items(&mut schema, 0)?;
    add_object_type(&mut schema, 0)?;
    let mut schema = filter_fields(schema, 0)?;
    if property_ordering {
        set_property_ordering(&mut schema, 0)?;
    }
    Ok(schema)
}

/// Removes every `additionalProperties: false`, at any depth.
pub(crate) fn remove_additional_properties_false(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            for v in map.values_mut() {
                remove_additional_properties_false(v);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(remove_additional_properties_false),
        _ => {}
    }
}

/// Removes every `strict` key, at any depth.
pub(crate) fn remove_strict(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("strict");
            for v in map.values_mut() {
                remove_strict(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(remove_strict),
        _ => {}
    }
}

fn too_deep(depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::bad_request(format!(
            "Max depth of {MAX_DEPTH} exceeded while processing schema. Please check the schema \
             for excessive nesting."
        )));
    }
    Ok(())
}

fn local_defs(map: &JsonMap, outer: &JsonMap) -> JsonMap {
    let mut defs = outer.clone();
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(d)) = map.get(key) {
            defs.extend(d.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    defs
}

/// Inlines `$ref`s to known definitions; a circular reference is left as it is.
fn unpack_defs(
    node: &mut Value,
    defs: &JsonMap,
    chain: &mut Vec<String>,
    depth: usize,
) -> Result<(), Error> {
    too_deep(depth)?;
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let name = reference.rsplit('/').next().unwrap_or(reference).to_owned();
                if chain.contains(&name) {
                    return Ok(());
                }
                let Some(target) = defs.get(&name) else {
                    return Ok(());
                };
                let child_defs = match target {
                    Value::Object(t) => local_defs(t, defs),
                    _ => defs.clone(),
                };
                *node = target.clone();
                chain.push(name);
                let result = unpack_defs(node, &child_defs, chain, depth + 1);
                chain.pop();
                return result;
            }
            let defs = local_defs(map, defs);
            for v in map.values_mut() {
                unpack_defs(v, &defs, chain, depth + 1)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                unpack_defs(item, defs, chain, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

const TYPE_SPECIFIC_FIELDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

/// Type arrays → `anyOf` (one-element arrays → the element).
fn convert_types(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        if types.len() > 1 {
            let mut any_of = Vec::new();
            for t in types.iter().filter_map(Value::as_str) {
                if t == "object" || t == "array" {
                    let mut item = JsonMap::new();
                    item.insert("type".into(), Value::from(t));
                    for field in TYPE_SPECIFIC_FIELDS {
                        if let Some(v) = map.get(*field) {
                            item.insert((*field).to_owned(), v.clone());
                        }
                    }
                    any_of.push(Value::Object(item));
                } else {
                    any_of.push(serde_json::json!({ "type": t }));
                }
            }
            if types
                .iter()
                .any(|t| matches!(t.as_str(), Some("object" | "array")))
            {
                for field in TYPE_SPECIFIC_FIELDS {
                    map.remove(*field);
                }
            }
            map.insert("anyOf".into(), Value::Array(any_of));
            map.remove("type");
        } else if let [single] = types.as_slice() {
            map.insert("type".into(), single.clone());
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for v in props.values_mut() {
            convert_types(v, depth + 1)?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        convert_types(items, depth + 1)?;
    }
    if let Some(Value::Array(any_of)) = map.get_mut("anyOf") {
        for v in any_of {
            convert_types(v, depth + 1)?;
        }
    }
    Ok(())
}

/// `anyOf: [X, {type: null}]` → `anyOf: [X + nullable: true]`.
fn anyof_null_to_nullable(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Array(any_of)) = map.get_mut("anyOf") {
        let is_null = |v: &Value| v.get("type") == Some(&Value::from("null"));
        let had = any_of.len();
        let kept: Vec<Value> = any_of.iter().filter(|v| !is_null(v)).cloned().collect();
        let contains_null = kept.len() < had;
        if kept.is_empty() {
            any_of.truncate(1);
        } else {
            *any_of = kept;
        }
        for branch in any_of.iter_mut() {
            if let Value::Object(b) = branch {
                if b.is_empty() {
                    b.insert("type".into(), Value::from("object"));
                }
                if contains_null {
                    b.insert("nullable".into(), Value::Bool(true));
                }
            }
            if branch.is_object() {
                anyof_null_to_nullable(branch, depth + 1)?;
            }
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for v in props.values_mut() {
            anyof_null_to_nullable(v, depth + 1)?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        anyof_null_to_nullable(items, depth + 1)?;
    }
    Ok(())
}

/// Gemini rejects `""` in enums; LiteLLM sends `null` instead.
fn enum_empty_strings(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        for v in values.iter_mut() {
            if v.as_str() == Some("") {
                *v = Value::Null;
            }
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for v in props.values_mut() {
            enum_empty_strings(v, depth + 1)?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        enum_empty_strings(items, depth + 1)?;
    }
    Ok(())
}

/// Gemini allows enums on strings only.
fn enum_only_on_strings(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if matches!(map.get("enum"), Some(Value::Array(_))) {
        let is_string = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("string"))
        };
        let keep = is_string(map.get("type"))
            || map
                .get("anyOf")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|i| is_string(i.get("type"))));
        if !keep {
            map.remove("enum");
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for v in props.values_mut() {
            enum_only_on_strings(v, depth + 1)?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        enum_only_on_strings(items, depth + 1)?;
    }
    if let Some(Value::Array(any_of)) = map.get_mut("anyOf") {
        for v in any_of {
            enum_only_on_strings(v, depth + 1)?;
        }
    }
    Ok(())
}

/// Arrays need `items`; empty or missing ones become `{type: object}`.
fn process_items(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    match schema {
        Value::Object(map) => {
            let is_array = map
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("array"));
            let items_empty = match map.get("items") {
                None => true,
                Some(Value::Object(o)) => o.is_empty(),
                Some(_) => false,
            };
            if is_array && items_empty {
                map.insert("items".into(), serde_json::json!({"type": "object"}));
            }
            for v in map.values_mut() {
                match v {
                    Value::Object(_) => process_items(v, depth + 1)?,
                    Value::Array(items) => {
                        for item in items.iter_mut().filter(|i| i.is_object()) {
                            process_items(item, depth + 1)?;
                        }
                    }
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut().filter(|i| i.is_object()) {
                process_items(item, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Objects get `type: object`; empty `properties` are dropped.
fn add_object_type(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if !["type", "anyOf", "oneOf", "allOf"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        map.insert("type".into(), Value::from("object"));
    }
    if let Some(props) = map.get("properties") {
        let empty = match props {
            Value::Object(p) => p.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Null => true,
            _ => false,
        };
        if map.get("required").is_some_and(Value::is_null) {
            map.remove("required");
        }
        if empty {
            map.remove("properties");
            map.remove("required");
        }
        map.insert("type".into(), Value::from("object"));
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for v in props.values_mut() {
                add_object_type(v, depth + 1)?;
            }
        }
    }
    if let Some(items) = map.get_mut("items") {
        add_object_type(items, depth + 1)?;
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(values)) = map.get_mut(key) {
            for v in values.iter_mut().filter(|v| v.is_object()) {
                add_object_type(v, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Keeps the fields Gemini's `Schema` has; `anyOf` wins over its siblings (keeping their
/// title and description on each branch); `format` only if `enum` or `date-time`.
fn filter_fields(schema: Value, depth: usize) -> Result<Value, Error> {
    too_deep(depth)?;
    let Value::Object(mut map) = schema else {
        return Ok(schema);
    };
    if map.get("anyOf").is_some_and(is_truthy) {
        let title = map.get("title").filter(|v| is_truthy(v)).cloned();
        let description = map.get("description").filter(|v| is_truthy(v)).cloned();
        let mut any_of = map.remove("anyOf").unwrap_or(Value::Null);
        if let Value::Array(items) = &mut any_of
            && (title.is_some() || description.is_some())
            && items.iter().all(Value::is_object)
        {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(t) = &title {
                    item.insert("title".into(), t.clone());
                }
                if let Some(d) = &description {
                    item.insert("description".into(), d.clone());
                }
            }
        }
        map = JsonMap::new();
        map.insert("anyOf".into(), any_of);
    }
    let mut out = JsonMap::new();
    for (key, value) in map {
        if !SCHEMA_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let value = match (key.as_str(), value) {
            ("properties", Value::Object(props)) => {
                let mut filtered = JsonMap::new();
                for (k, v) in props {
                    filtered.insert(k, filter_fields(v, depth + 1)?);
                }
                Value::Object(filtered)
            }
            ("format", v) => {
                if matches!(v.as_str(), Some("enum" | "date-time")) {
                    v
                } else {
                    continue;
                }
            }
            ("items", v @ Value::Object(_)) => filter_fields(v, depth + 1)?,
            ("anyOf", Value::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|i| filter_fields(i, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            (_, v) => v,
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// Python truthiness of a JSON value.
fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `propertyOrdering`: the properties in the client's order (Gemini sorts otherwise).
fn set_property_ordering(schema: &mut Value, depth: usize) -> Result<(), Error> {
    too_deep(depth)?;
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Object(props)) = map.get("properties") {
        if !map.contains_key("propertyOrdering") {
            let order: Vec<Value> = props.keys().map(|k| Value::from(k.as_str())).collect();
            map.insert("propertyOrdering".into(), Value::Array(order));
        }
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for v in props.values_mut() {
                set_property_ordering(v, depth + 1)?;
            }
        }
    }
    if let Some(items) = map.get_mut("items") {
        set_property_ordering(items, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_schemas_pass_unchanged() {
        let s = json!({"type": "object", "properties": {"location": {"type": "string", "description": "City"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]});
        assert_eq!(build_vertex_schema(s.clone(), false).unwrap(), s);
    }

    #[test]
    fn refs_nullables_and_unknown_fields_are_rewritten() {
        let s = json!({
            "type": "object",
            "$defs": {"Unit": {"type": "string", "enum": ["c", ""]}},
            "additionalProperties": false,
            "properties": {
                "unit": {"$ref": "#/$defs/Unit"},
                "tags": {"type": ["array", "null"]},
                "n": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "N", "default": 1},
                "when": {"type": "string", "format": "uri"},
                "empty": {}
            }
        });
        let out = build_vertex_schema(s, true).unwrap();
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "unit": {"type": "string", "enum": ["c", null]},
                    "tags": {"anyOf": [{"type": "array", "items": {"type": "object"}, "nullable": true}]},
                    "n": {"anyOf": [{"type": "integer", "nullable": true, "title": "N"}]},
                    "when": {"type": "string"},
                    "empty": {"type": "object"}
                },
                "propertyOrdering": ["unit", "tags", "n", "when", "empty"]
            })
        );
    }

    #[test]
    fn circular_refs_stop() {
        let s = json!({"$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
            "$ref": "#/$defs/N"});
        assert!(build_vertex_schema(s, false).is_ok());
    }

    #[test]
    fn strict_and_closed_objects_are_removed_everywhere() {
        let mut v = json!([{"strict": true, "function": {"parameters": {"additionalProperties": false,
            "properties": {"a": {"additionalProperties": true}}}}}]);
        remove_additional_properties_false(&mut v);
        remove_strict(&mut v);
        assert_eq!(
            v,
            json!([{"function": {"parameters": {"properties": {"a": {"additionalProperties": true}}}}}])
        );
    }
}
