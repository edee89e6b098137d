use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::json;

use super::{Config, ConfigError};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn parse(yaml: &str) -> Config {
    match Config::from_yaml_str(yaml, &no_env) {
        Ok(config) => config,
        Err(error) => panic!("config should load: {error}"),
    }
}

fn parse_err(yaml: &str) -> ConfigError {
    match Config::from_yaml_str(yaml, &no_env) {
        Ok(config) => panic!("config should fail: {config:?}"),
        Err(error) => error,
    }
}

#[test]
fn oracle_config_loads() {
    let config = Config::from_path_with_env(&fixture("oracle.yaml"), &no_env).unwrap();
    assert_eq!(config.model_list.len(), 40);
    let azure = config
        .model_list
        .iter()
        .find(|m| m.model_name == "azure-chat")
        .unwrap();
    assert_eq!(azure.litellm_params.model, "azure/gpt4o-deployment");
    assert_eq!(
        azure.litellm_params.api_version.as_deref(),
        Some("2024-10-21")
    );
    let bedrock = config
        .model_list
        .iter()
        .find(|m| m.model_name == "bedrock-chat")
        .unwrap();
    assert_eq!(bedrock.litellm_params.api_key, None);
    assert_eq!(bedrock.litellm_params.extra["aws_region_name"], "us-east-1");
    assert_eq!(
        config
            .general_settings
            .master_key
            .as_ref()
            .map(llmux::Secret::expose),
        Some("sk-oracle-0123456789abcdef0123456789abcdef")
    );
    assert!(config.unsupported_keys().is_empty());
    assert!(config.warnings().is_empty());
}

#[test]
fn bench_config_loads() {
    let config = Config::from_path_with_env(&fixture("bench.yaml"), &no_env).unwrap();
    let names: Vec<_> = config
        .model_list
        .iter()
        .map(|m| m.model_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "bench-fast",
            "bench-stream",
            "bench-delay50",
            "bench-embed",
            "bench-anthropic"
        ]
    );
    assert_eq!(
        config.model_list[1].litellm_params.api_base.as_deref(),
        Some("http://{upstream}/stream/v1")
    );
    assert!(config.general_settings.master_key.is_some());
}

#[test]
fn empty_file_and_null_sections_are_empty() {
    assert_eq!(parse(""), Config::default());
    assert_eq!(parse("# only a comment\n"), Config::default());
    let config = parse("model_list:\nrouter_settings:\nlitellm_settings: null\n");
    assert!(config.model_list.is_empty());
    assert!(config.unsupported_keys().is_empty());
}

#[test]
fn env_refs_are_resolved_at_any_depth_and_in_lists() {
    let yaml = r"
model_list:
  - model_name: os.environ/ALIAS
    litellm_params:
      model: os.environ/MODEL
      api_key: os.environ/KEY
      extra_headers: {X-Tenant: os.environ/TENANT}
    model_info: {tags: [plain, os.environ/TAG]}
litellm_settings:
  callbacks: [os.environ/CALLBACK]
guardrails:
  - guardrail_name: g
    litellm_params: {api_key: os.environ/KEY}
";
    let env = env_of(&[
        ("ALIAS", "gpt"),
        ("MODEL", "openai/gpt-4o"),
        ("KEY", "sk-1"),
        ("TENANT", "acme"),
        ("TAG", "prod"),
        ("CALLBACK", "prometheus"),
    ]);
    let config = Config::from_yaml_str(yaml, &env).unwrap();
    let entry = &config.model_list[0];
    assert_eq!(entry.model_name, "gpt");
    assert_eq!(entry.litellm_params.model, "openai/gpt-4o");
    assert_eq!(
        entry
            .litellm_params
            .api_key
            .as_ref()
            .map(llmux::Secret::expose),
        Some("sk-1")
    );
    assert_eq!(
        entry.litellm_params.extra["extra_headers"],
        json!({"X-Tenant": "acme"})
    );
    assert_eq!(entry.model_info["tags"], json!(["plain", "prod"]));
    assert_eq!(
        config.litellm_settings.extra["callbacks"],
        json!(["prometheus"])
    );
    assert_eq!(
        config.extra["guardrails"][0]["litellm_params"]["api_key"],
        "sk-1"
    );
    assert!(config.warnings().is_empty());
}

#[test]
fn environment_variables_block_wins_over_the_environment() {
    let yaml = r"
environment_variables:
  OPENAI_KEY: sk-from-block
  PORT: 8080
  FORWARDED: os.environ/REAL
  UNSET: os.environ/NOWHERE
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_KEY
      api_base: os.environ/FORWARDED
      organization: os.environ/PORT
      api_version: os.environ/UNSET
";
    let env = env_of(&[
        ("OPENAI_KEY", "sk-from-env"),
        ("REAL", "http://real"),
        ("UNSET", "from-env"),
    ]);
    let config = Config::from_yaml_str(yaml, &env).unwrap();
    let params = &config.model_list[0].litellm_params;
    assert_eq!(
        params.api_key.as_ref().map(llmux::Secret::expose),
        Some("sk-from-block")
    );
    assert_eq!(params.api_base.as_deref(), Some("http://real"));
    assert_eq!(params.organization.as_deref(), Some("8080"));
    // A block entry whose own reference is unset is not exported: the environment is used.
    assert_eq!(params.api_version.as_deref(), Some("from-env"));
    assert_eq!(config.environment_variables["FORWARDED"], "http://real");
    assert_eq!(config.environment_variables["UNSET"], json!(null));
    assert_eq!(config.warnings().len(), 1);
    assert!(config.warnings()[0].starts_with("environment_variables.UNSET: "));
}

#[test]
fn missing_env_for_a_required_value_is_an_error() {
    let yaml =
        "model_list:\n  - model_name: m\n    litellm_params:\n      model: os.environ/MODEL\n";
    match parse_err(yaml) {
        ConfigError::MissingEnv { path, name } => {
            assert_eq!(path, "model_list[0].litellm_params.model");
            assert_eq!(name, "MODEL");
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn missing_env_for_an_optional_value_is_a_warning() {
    let yaml = r"
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      timeout: os.environ/TIMEOUT
";
    let config = parse(yaml);
    let params = &config.model_list[0].litellm_params;
    assert_eq!(
        (
            params.api_key.as_ref().map(llmux::Secret::expose),
            params.timeout
        ),
        (None, None)
    );
    assert_eq!(config.warnings().len(), 2);
    let warning = &config.warnings()[0];
    assert!(
        warning.starts_with("model_list[0].litellm_params.api_key: "),
        "{warning}"
    );
    assert!(warning.contains("OPENAI_API_KEY"), "{warning}");
}

#[test]
fn numbers_and_booleans_may_be_strings() {
    let yaml = r#"
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      timeout: "30"
      stream_timeout: 12.5
      rpm: "100"
      tpm: 1000
      max_retries: " 3 "
      num_retries: 2.0
      drop_params: "true"
litellm_settings: {request_timeout: "600", num_retries: "4", drop_params: yes, set_verbose: False}
router_settings: {timeout: 5, num_retries: "1", routing_strategy: least-busy}
"#;
    let config = parse(yaml);
    let p = &config.model_list[0].litellm_params;
    assert_eq!((p.timeout, p.stream_timeout), (Some(30.0), Some(12.5)));
    assert_eq!((p.rpm, p.tpm), (Some(100), Some(1000)));
    assert_eq!(
        (p.max_retries, p.num_retries, p.drop_params),
        (Some(3), Some(2), Some(true))
    );
    let s = &config.litellm_settings;
    assert_eq!((s.request_timeout, s.num_retries), (Some(600.0), Some(4)));
    assert_eq!((s.drop_params, s.set_verbose), (Some(true), Some(false)));
    let r = &config.router_settings;
    assert_eq!((r.timeout, r.num_retries), (Some(5.0), Some(1)));
    assert_eq!(r.routing_strategy.as_deref(), Some("least-busy"));
}

fn invalid(yaml: &str) -> String {
    match parse_err(yaml) {
        ConfigError::Invalid { .. } => {}
        other => panic!("expected Invalid, got {other:?}"),
    }
    parse_err(yaml).to_string()
}

const OK_ENTRY: &str = "  - model_name: ok\n    litellm_params: {model: openai/gpt-4o}\n";

#[test]
fn errors_name_the_yaml_path() {
    let timeout = format!(
        "model_list:\n{OK_ENTRY}  - model_name: m\n    litellm_params: {{model: x, timeout: abc}}\n"
    );
    assert_eq!(
        invalid(&timeout),
        r#"model_list[1].litellm_params.timeout: invalid type: expected a number, got "abc""#
    );
    let rpm = "model_list:\n  - model_name: m\n    litellm_params: {model: x, rpm: -5}\n";
    assert_eq!(
        invalid(rpm),
        "model_list[0].litellm_params.rpm: invalid type: expected a non-negative integer, got -5"
    );
    assert_eq!(
        invalid("router_settings:\n  num_retries: [1]\n"),
        "router_settings.num_retries: invalid type: expected a non-negative integer, got [1]"
    );
    let no_name = format!("model_list:\n{OK_ENTRY}{OK_ENTRY}  - litellm_params: {{model: x}}\n");
    assert_eq!(
        invalid(&no_name),
        "model_list[2].model_name: missing required field"
    );
    let no_model = "model_list:\n  - model_name: m\n    litellm_params: {api_key: k}\n";
    assert_eq!(
        invalid(no_model),
        "model_list[0].litellm_params.model: missing required field"
    );
    let no_params = "model_list:\n  - model_name: m\n";
    assert_eq!(
        invalid(no_params),
        "model_list[0].litellm_params: missing required field"
    );
    let drop = "model_list:\n  - model_name: m\n    litellm_params: {model: x, additional_drop_params: a}\n";
    assert!(
        invalid(drop)
            .starts_with("model_list[0].litellm_params.additional_drop_params: invalid type")
    );
    assert!(
        invalid("general_settings:\n  master_key: [a]\n")
            .starts_with("general_settings.master_key: ")
    );
    assert!(invalid("model_list: {a: 1}\n").starts_with("model_list: invalid type"));
    assert!(invalid("- a\n- b\n").starts_with(".: "));
    assert!(matches!(
        parse_err("model_list: [\n"),
        ConfigError::Yaml { .. }
    ));
}

#[test]
fn include_merges_files_like_litellm() {
    let env = env_of(&[("MAIN_KEY", "sk-main"), ("EXTRA_KEY", "sk-extra")]);
    let config = Config::from_path_with_env(&fixture("include/main.yaml"), &env).unwrap();
    let names: Vec<_> = config
        .model_list
        .iter()
        .map(|m| m.model_name.as_str())
        .collect();
    assert_eq!(names, ["main-model", "extra-model", "nested-model"]);
    assert_eq!(
        config.model_list[1]
            .litellm_params
            .api_key
            .as_ref()
            .map(llmux::Secret::expose),
        Some("sk-extra")
    );
    // A mapping from an included file replaces the earlier one as a whole.
    assert_eq!(config.litellm_settings.drop_params, None);
    assert_eq!(config.litellm_settings.num_retries, Some(5));
    assert_eq!(
        config.router_settings.routing_strategy.as_deref(),
        Some("least-busy")
    );
    assert!(config.unsupported_keys().is_empty());

    let error = Config::from_yaml_str("include: [a.yaml]\n", &no_env).unwrap_err();
    assert!(matches!(error, ConfigError::Invalid { ref path, .. } if path == "include"));
    let error = Config::from_path_with_env(&fixture("missing.yaml"), &no_env).unwrap_err();
    assert!(matches!(error, ConfigError::Io { .. }));
}

#[test]
fn unsupported_keys_are_listed_with_their_path() {
    let yaml = r"
model_list:
  - model_name: m
    litellm_params: {model: x, aws_region_name: us-east-1, temperature: 0.2}
litellm_settings: {drop_params: true, callbacks: [prometheus], json_logs: true}
router_settings: {routing_strategy: simple-shuffle, redis_host: localhost, enable_loadbalancing_on_batch_endpoints: true}
general_settings: {master_key: sk-1, database_url: postgres://db, disable_spend_logs: true, max_request_size_mb: 2}
credential_list: []
mcp_servers: {}
";
    let config = parse(yaml);
    // Keys the router or the gateway act on (`routing_strategy`, `redis_host`,
    // `max_request_size_mb`, `callbacks`) are not listed.
    assert_eq!(
        config.unsupported_keys(),
        [
            "credential_list",
            "mcp_servers",
            "litellm_settings.json_logs",
            "router_settings.enable_loadbalancing_on_batch_endpoints",
            "general_settings.disable_spend_logs",
        ]
    );
    assert_eq!(
        config.model_list[0].litellm_params.extra["temperature"],
        0.2
    );
}

#[test]
fn yaml_merge_keys_are_applied() {
    let yaml = r"
model_list:
  - model_name: a
    litellm_params: &common {model: openai/gpt-4o, api_key: sk-1}
  - model_name: b
    litellm_params:
      <<: *common
      api_key: sk-2
";
    let config = parse(yaml);
    let b = &config.model_list[1].litellm_params;
    assert_eq!(
        (
            b.model.as_str(),
            b.api_key.as_ref().map(llmux::Secret::expose)
        ),
        ("openai/gpt-4o", Some("sk-2"))
    );
}

/// Every `.rs` file under `dir`, recursively.
fn rust_sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
}

/// The table's `Acted` promise: some code outside the table names the key, as a string
/// literal (an `extra` map lookup, a key list) or as a field a struct deserializes into.
#[test]
fn every_key_the_table_says_is_acted_on_is_read_by_name() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sources = Vec::new();
    for krate in ["llmux/src", "llmux-server/src", "llmux-registry/src"] {
        rust_sources(&crates.join(krate), &mut sources);
    }
    let sources: Vec<_> = sources
        .into_iter()
        .filter(|(path, _)| !path.ends_with("known_keys.rs") && !path.ends_with("config/tests.rs"))
        .collect();
    for &(section, key, handling) in super::known_keys::KNOWN_KEYS {
        if handling != super::known_keys::Handling::Acted {
            continue;
        }
        let literal = format!("\"{key}\"");
        let field = format!("pub {key}:");
        assert!(
            sources
                .iter()
                .any(|(_, text)| text.contains(&literal) || text.contains(&field)),
            "{section}.{key} is marked acted on, but no code names it"
        );
    }
}

#[test]
fn keys_not_acted_on_are_listed_and_acted_ones_are_not() {
    let config = parse(
        r"
model_list:
  - model_name: m
    litellm_params: {model: x, tags: [a], weight: 2, order: 1, temperature: 0.1}
litellm_settings: {set_verbose: true, fallbacks: [], success_callback: [langfuse], json_logs: true}
general_settings: {max_request_size_mb: 2, max_upstream_response_size_mb: 8, brand_new_key: 1}
",
    );
    assert_eq!(
        config.unsupported_keys(),
        [
            "litellm_settings.json_logs",
            "general_settings.brand_new_key",
            "litellm_settings.set_verbose",
            "model_list[0].litellm_params.tags",
        ]
    );
}
