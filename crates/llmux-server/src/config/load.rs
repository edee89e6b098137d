//! YAML → JSON conversion, `include:` merging, `os.environ/` resolution and the typed
//! deserialization with exact error paths.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use serde_yaml_ng::Value as Yaml;

use super::{Config, ConfigError};

/// The top-level key naming other config files to merge in.
pub(super) const INCLUDE: &str = "include";
const ENV_BLOCK: &str = "environment_variables";
const ENV_PREFIX: &str = "os.environ/";

fn child(path: &str, key: &str) -> String {
    if path.is_empty() || path == "." {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn invalid(path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Parses YAML text whose top level must be a mapping; an empty document is an empty mapping.
pub(super) fn parse_mapping(text: &str, origin: &str) -> Result<Map<String, Value>, ConfigError> {
    let yaml_error = |source| ConfigError::Yaml {
        origin: origin.to_owned(),
        source,
    };
    let mut yaml: Yaml = serde_yaml_ng::from_str(text).map_err(yaml_error)?;
    yaml.apply_merge().map_err(yaml_error)?;
    match to_json(yaml, "")? {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map),
        other => Err(invalid(
            ".",
            format!("{origin}: a config must be a YAML mapping, got {other}"),
        )),
    }
}

/// Reads and parses one config file.
pub(super) fn read_mapping(path: &Path) -> Result<Map<String, Value>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_mapping(&text, &path.display().to_string())
}

/// Converts a YAML value; tags are dropped, non-string keys are written as in YAML.
fn to_json(yaml: Yaml, path: &str) -> Result<Value, ConfigError> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                let f = n.as_f64().and_then(serde_json::Number::from_f64);
                Value::Number(f.ok_or_else(|| invalid(path, format!("unsupported number {n}")))?)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| to_json(item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Null => "null".to_owned(),
                    _ => return Err(invalid(path, "mapping keys must be scalars")),
                };
                let value = to_json(value, &child(path, &key))?;
                map.insert(key, value);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => to_json(tagged.value, path)?,
    })
}

/// The `include:` entries of a config read from `file`.
fn include_entries(config: &Map<String, Value>, file: &Path) -> Result<Vec<String>, ConfigError> {
    let error = || {
        let message = format!("{}: `include` must be a list of file paths", file.display());
        invalid(INCLUDE, message)
    };
    match config.get(INCLUDE) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(error))
            .collect(),
        Some(_) => Err(error()),
    }
}

/// Where an `include` entry points: next to the file declaring it, or (LiteLLM's legacy
/// rule, with a warning) next to the root config when only that file exists.
fn include_location(
    entry: &str,
    declared_in: &Path,
    root: &Path,
    warnings: &mut Vec<String>,
) -> PathBuf {
    let dir = |file: &Path| file.parent().map(Path::to_path_buf).unwrap_or_default();
    let declared = dir(declared_in).join(entry);
    let legacy = dir(root).join(entry);
    if declared != legacy && !declared.exists() && legacy.exists() {
        warnings.push(format!(
            "include '{entry}' declared in {} was not found next to it; read {} instead",
            declared_in.display(),
            legacy.display()
        ));
        return legacy;
    }
    declared
}

/// Merges every file named by `include:` (recursively, each file once) into `config`, as
/// LiteLLM's `resolve_includes`: lists are appended, any other value replaces the earlier
/// one.
pub(super) fn resolve_includes(
    mut config: Map<String, Value>,
    root: &Path,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, ConfigError> {
    let canonical = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mut loaded = HashSet::from([canonical(root)]);
    let mut pending: VecDeque<(String, PathBuf)> = include_entries(&config, root)?
        .into_iter()
        .map(|entry| (entry, root.to_owned()))
        .collect();
    config.remove(INCLUDE);
    while let Some((entry, declared_in)) = pending.pop_front() {
        let location = include_location(&entry, &declared_in, root, warnings);
        if !loaded.insert(canonical(&location)) {
            continue;
        }
        let mut included = read_mapping(&location)?;
        let nested = include_entries(&included, &location)?;
        pending.extend(nested.into_iter().map(|entry| (entry, location.clone())));
        included.remove(INCLUDE);
        for (key, value) in included {
            match (config.get_mut(&key), value) {
                (Some(Value::Array(base)), Value::Array(more)) => base.extend(more),
                (_, value) => {
                    config.insert(key, value);
                }
            }
        }
    }
    Ok(config)
}

/// Replaces `os.environ/NAME` strings, recording the unset ones as `(path, NAME)`.
struct Resolver<'a> {
    /// The resolved `environment_variables:` block, consulted before `env`.
    block: &'a Map<String, Value>,
    env: &'a dyn Fn(&str) -> Option<String>,
    missing: Vec<(String, String)>,
}

impl Resolver<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        match self.block.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            // LiteLLM exports `str(value)`: Python spells booleans `True`/`False`.
            Some(Value::Bool(b)) => Some(if *b { "True" } else { "False" }.to_owned()),
            Some(Value::Null) | None => (self.env)(name),
            Some(other) => Some(other.to_string()),
        }
    }

    fn resolve(&mut self, value: &mut Value, path: &str) {
        match value {
            Value::String(s) => {
                if let Some(name) = s.strip_prefix(ENV_PREFIX) {
                    let name = name.to_owned();
                    *value = match self.lookup(&name) {
                        Some(found) => Value::String(found),
                        None => {
                            self.missing.push((path.to_owned(), name));
                            Value::Null
                        }
                    };
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.resolve(item, &format!("{path}[{i}]"));
                }
            }
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    self.resolve(item, &child(path, key));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Resolves `os.environ/` references and deserializes the merged config.
pub(super) fn build(
    mut root: Map<String, Value>,
    env: &dyn Fn(&str) -> Option<String>,
    mut warnings: Vec<String>,
) -> Result<Config, ConfigError> {
    let mut block = match root.remove(ENV_BLOCK) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(block)) => block,
        Some(_) => return Err(invalid(ENV_BLOCK, "invalid type: expected a mapping")),
    };
    // References inside the block see the real environment only.
    let empty = Map::new();
    let mut resolver = Resolver {
        block: &empty,
        env,
        missing: Vec::new(),
    };
    for (key, value) in block.iter_mut() {
        resolver.resolve(value, &child(ENV_BLOCK, key));
    }
    let mut missing = resolver.missing;

    let mut resolver = Resolver {
        block: &block,
        env,
        missing: Vec::new(),
    };
    let mut rest = Value::Object(root);
    resolver.resolve(&mut rest, "");
    missing.append(&mut resolver.missing);
    if let Value::Object(root) = &mut rest {
        root.insert(ENV_BLOCK.to_owned(), Value::Object(block));
    }

    let mut config: Config = serde_path_to_error::deserialize(rest).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let (path, message) = match message
            .strip_prefix("missing field `")
            .and_then(|field| field.strip_suffix('`'))
        {
            Some(field) => (child(&path, field), "missing required field".to_owned()),
            None => (path, message),
        };
        match missing.iter().find(|(at, _)| *at == path) {
            Some((_, name)) => ConfigError::MissingEnv {
                path,
                name: name.clone(),
            },
            None => ConfigError::Invalid { path, message },
        }
    })?;

    warnings.extend(missing.into_iter().map(|(path, name)| {
        format!("{path}: environment variable {name} is not set (the value is {ENV_PREFIX}{name}); treating the value as unset")
    }));
    config.warnings = warnings;
    Ok(config)
}
