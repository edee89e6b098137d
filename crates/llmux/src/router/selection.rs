//! Which deployments of a group may take an attempt: tag routing, the context-window
//! pre-call check, and which deployments are healthy.

use std::sync::Arc;

use llmux_types::{Error, ErrorKind};

use super::groups::Group;
use super::hooks::RequestView;
use super::state::now_ms;
use super::{Inner, RouterDeployment};

/// Deployments of `group` not cooling down, and whether one of them is not `failed_id`.
pub(super) fn health(inner: &Inner, group: &Group, failed_id: &str) -> (usize, bool) {
    let ids: Vec<&str> = group.deployments.iter().map(|d| d.id.as_str()).collect();
    let loads = inner.state.loads(&ids, now_ms());
    let mut healthy = 0;
    let mut sibling = false;
    for (id, load) in ids.iter().zip(&loads) {
        if load.cooldown_until_ms.is_none() {
            healthy += 1;
            sibling |= *id != failed_id;
        }
    }
    (healthy, sibling)
}

/// that no deployment has, the `default` ones, else an error.
pub(super) fn filter_by_tags<'a>(
    deps: Vec<&'a Arc<RouterDeployment>>,
    tags: &[String],
    model: &str,
) -> Result<Vec<&'a Arc<RouterDeployment>>, Error> {
    let has = |d: &RouterDeployment, t: &str| d.tags.iter().any(|x| x == t);
    let defaults = || -> Vec<&'a Arc<RouterDeployment>> {
        deps.iter().copied().filter(|d| has(d, "default")).collect()
    };
    if tags.is_empty() {
        let tagged_default = defaults();
        return Ok(if tagged_default.is_empty() {
            deps
        } else {
            tagged_default
        });
    }
    let excluded: Vec<&str> = tags.iter().filter_map(|t| t.strip_prefix('!')).collect();
    let required: Vec<&str> = tags.iter().filter_map(|t| t.strip_prefix('&')).collect();
    let positive: Vec<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| !t.starts_with('!') && !t.starts_with('&'))
        .collect();
    let allowed: Vec<&'a Arc<RouterDeployment>> = deps
        .iter()
        .copied()
        .filter(|d| !excluded.iter().any(|t| has(d, t)))
        .filter(|d| required.iter().all(|t| has(d, t)))
        .collect();
    let matched: Vec<&'a Arc<RouterDeployment>> = if positive.is_empty() {
        allowed
    } else {
        allowed
            .into_iter()
            .filter(|d| positive.iter().any(|t| has(d, t)))
            .collect()
    };
    if !matched.is_empty() {
        return Ok(matched);
    }
    let fallback = defaults();
    if fallback.is_empty() {
        return Err(Error::new(
            ErrorKind::Authentication,
            format!(
                "Not allowed to access model due to tags configuration. Passed model={model}, tags={tags:?}"
            ),
        )
        .with_model(model));
    }
    Ok(fallback)
}

/// The prompt's tokens (cl100k), for the context-window pre-call check.
pub(super) async fn prompt_tokens(request: RequestView<'_>) -> Option<u64> {
    let text = match request {
        RequestView::Chat(r) => r
            .messages
            .iter()
            .filter_map(|m| m.content.as_ref().map(|c| c.text()))
            .collect::<Vec<_>>()
            .join("\n"),
        RequestView::Completion(r) => match &r.prompt {
            llmux_types::CompletionPrompt::Text(t) => t.clone(),
            llmux_types::CompletionPrompt::Texts(v) => v.join("\n"),
            llmux_types::CompletionPrompt::Tokens(_) => return None,
        },
        RequestView::Embedding(_) | RequestView::Messages(_) | RequestView::Responses(_) => {
            return None;
        }
    };
    crate::tokens::count_ordinary(crate::tokens::Encoding::Cl100kBase, text)
        .await
        .ok()
}
