//! Model groups: the deployments behind each public model name, aliases, and wildcard
//! groups (`openai/*`, `*`) matched as LiteLLM's `pattern_match_deployments` does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use llmux_types::Error;

use super::deployment::{DeploymentDefaults, RouterDeployment};
use crate::config::{AliasTarget, ModelEntry};

/// The deployments of one model name.
#[derive(Debug)]
pub struct Group {
    pub name: String,
    pub deployments: Vec<Arc<RouterDeployment>>,
    /// For a wildcard group, the pattern (the `model_name`, with `*`).
    pub pattern: Option<String>,
}

/// A group found for a requested model: the group, and for wildcard groups the part of
/// the requested model the `*` matched.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub group: Arc<Group>,
    pub matched: Option<String>,
}

/// Resolved wildcard deployments kept per (deployment, model); beyond this the cache is
/// cleared rather than grown (a client could send any number of model names).
const WILDCARD_CACHE_MAX: usize = 4096;

/// Every model group of a router.
#[derive(Debug)]
pub struct Groups {
    by_name: HashMap<String, Arc<Group>>,
    /// Public names in config order (for `/v1/models`).
    pub names: Vec<String>,
    aliases: HashMap<String, AliasTarget>,
    /// Wildcard groups, most specific (longest literal text) first.
    wildcards: Vec<Arc<Group>>,
    /// Model names whose every entry failed to resolve, with the reason.
    pub unavailable: HashMap<String, Error>,
    defaults: DeploymentDefaults,
    concrete: Mutex<HashMap<(String, String), Arc<RouterDeployment>>>,
}

impl Groups {
    /// Builds every deployment. An entry whose provider llmux does not support (a
    /// `BadRequest` from resolution) makes its model name unavailable with that error;
    /// any other failure is returned with the entry's index.
    pub fn build(
        model_list: &[ModelEntry],
        aliases: HashMap<String, AliasTarget>,
        defaults: DeploymentDefaults,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, (usize, Error)> {
        let mut names: Vec<String> = Vec::new();
        let mut members: HashMap<String, Vec<Arc<RouterDeployment>>> = HashMap::new();
        let mut unavailable = HashMap::new();
        for (i, entry) in model_list.iter().enumerate() {
            if !names.contains(&entry.model_name) {
                names.push(entry.model_name.clone());
            }
            match RouterDeployment::build(entry, &defaults, env) {
                Ok(d) => members
                    .entry(entry.model_name.clone())
                    .or_default()
                    .push(Arc::new(d)),
                // A wildcard entry resolves per request; the pattern itself may not.
                Err(_) if entry.litellm_params.model.contains('*') => {
                    let probe = entry.litellm_params.model.replace('*', "probe");
                    let d = RouterDeployment::build_for_model(entry, &probe, &defaults, env)
                        .map_err(|e| (i, e))?;
                    members
                        .entry(entry.model_name.clone())
                        .or_default()
                        .push(Arc::new(d));
                }
                Err(e) if e.kind == llmux_types::ErrorKind::BadRequest => {
                    tracing::warn!(path = %format!("model_list[{i}].litellm_params.model"), "{}", e.message);
                    unavailable.insert(entry.model_name.clone(), e);
                }
                Err(e) => return Err((i, e)),
            }
        }
        unavailable.retain(|name, _| !members.contains_key(name));
        let mut by_name = HashMap::new();
        let mut wildcards = Vec::new();
        for (name, deployments) in members {
            let pattern = name.contains('*').then(|| name.clone());
            let group = Arc::new(Group {
                name: name.clone(),
                deployments,
                pattern: pattern.clone(),
            });
            if pattern.is_some() {
                wildcards.push(group.clone());
            }
            by_name.insert(name, group);
        }
        // LiteLLM tries the most specific pattern first.
        wildcards.sort_by_key(|g| std::cmp::Reverse(g.name.chars().filter(|c| *c != '*').count()));
        Ok(Self {
            by_name,
            names,
            aliases,
            wildcards,
            unavailable,
            defaults,
            concrete: Mutex::new(HashMap::new()),
        })
    }

    /// Groups over deployments already resolved, no aliases.
    pub fn from_deployments(deployments: Vec<RouterDeployment>) -> Self {
        let mut names: Vec<String> = Vec::new();
        let mut members: HashMap<String, Vec<Arc<RouterDeployment>>> = HashMap::new();
        for d in deployments {
            if !names.contains(&d.model_name) {
                names.push(d.model_name.clone());
            }
            members
                .entry(d.model_name.clone())
                .or_default()
                .push(Arc::new(d));
        }
        let by_name = members
            .into_iter()
            .map(|(name, deployments)| {
                let group = Group {
                    name: name.clone(),
                    deployments,
                    pattern: None,
                };
                (name, Arc::new(group))
            })
            .collect();
        Self {
            by_name,
            names,
            aliases: HashMap::new(),
            wildcards: Vec::new(),
            unavailable: HashMap::new(),
            defaults: DeploymentDefaults::default(),
            concrete: Mutex::new(HashMap::new()),
        }
    }

    /// The group serving `model`: an exact name, then an alias, then a wildcard pattern.
    pub fn resolve(&self, model: &str) -> Option<Resolved> {
        if let Some(group) = self.by_name.get(model)
            && group.pattern.is_none()
        {
            return Some(Resolved {
                group: group.clone(),
                matched: None,
            });
        }
        if let Some(target) = self.aliases.get(model)
            && let Some(group) = self.by_name.get(target.model())
        {
            return Some(Resolved {
                group: group.clone(),
                matched: None,
            });
        }
        self.wildcards.iter().find_map(|g| {
            let matched = glob_match(&g.name, model)?;
            Some(Resolved {
                group: g.clone(),
                matched: Some(matched),
            })
        })
    }

    /// The id of every deployment of every group.
    pub fn deployment_ids(&self) -> impl Iterator<Item = &str> {
        self.by_name
            .values()
            .flat_map(|g| g.deployments.iter().map(|d| d.id.as_str()))
    }

    /// Every group, by name.
    pub fn get(&self, name: &str) -> Option<&Arc<Group>> {
        self.by_name.get(name)
    }

    /// Aliases that are not hidden, with their targets.
    pub fn visible_aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases.iter().filter_map(|(a, t)| match t {
            AliasTarget::Detailed { hidden: true, .. } => None,
            t => Some((a.as_str(), t.model())),
        })
    }

    /// The deployment to call for `requested` on `dep`: `dep` itself, or for a wildcard
    /// group the entry re-resolved with the `*` replaced by what it matched.
    pub fn concrete(
        &self,
        dep: &Arc<RouterDeployment>,
        matched: Option<&str>,
    ) -> Result<Arc<RouterDeployment>, Error> {
        let Some(matched) = matched else {
            return Ok(dep.clone());
        };
        let model = dep.entry.litellm_params.model.replace('*', matched);
        let key = (dep.id.clone(), model.clone());
        if let Some(d) = self
            .concrete
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(d.clone());
        }
        let mut built =
            RouterDeployment::build_for_model(&dep.entry, &model, &self.defaults, &|n| {
                std::env::var(n).ok()
            })?;
        // State (limits, cooldowns) belongs to the configured deployment, not to each model.
        built.id.clone_from(&dep.id);
        let built = Arc::new(built);
        let mut cache = self.concrete.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= WILDCARD_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, built.clone());
        Ok(built)
    }
}

/// Matches `text` against `pattern`, whose `*`s match any run of characters; returns what
/// the first `*` matched (LiteLLM substitutes it into the deployment's model).
pub fn glob_match(pattern: &str, text: &str) -> Option<String> {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first()?;
    let mut pos = text.strip_prefix(first).map(|_| first.len())?;
    let mut first_capture: Option<String> = None;
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let window = text.get(pos..)?;
        let at = if last {
            if !window.ends_with(part) || window.len() < part.len() {
                return None;
            }
            window.len() - part.len()
        } else {
            window.find(part)?
        };
        if first_capture.is_none() {
            first_capture = Some(window.get(..at)?.to_owned());
        }
        pos += at + part.len();
    }
    if rest.is_empty() {
        return (first.len() == text.len()).then(String::new);
    }
    first_capture
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn wildcards_match_as_litellm_patterns() {
        assert_eq!(
            glob_match("openai/*", "openai/gpt-4o").as_deref(),
            Some("gpt-4o")
        );
        assert_eq!(glob_match("*", "anything/x").as_deref(), Some("anything/x"));
        assert_eq!(glob_match("openai/*", "groq/llama"), None);
        assert_eq!(
            glob_match("a/*-latest", "a/claude-latest").as_deref(),
            Some("claude")
        );
        assert_eq!(glob_match("a/*-latest", "a/claude"), None);
        assert_eq!(glob_match("exact", "exact").as_deref(), Some(""));
    }
}
