//! `GET /v1/models`.

use serde::{Deserialize, Serialize};

/// The model list, as OpenAI's API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    pub object: String,
    pub data: Vec<ModelCard>,
}

/// One model of a [`ModelList`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub owned_by: String,
}

impl ModelList {
    /// A list of the given model ids.
    pub fn new(ids: impl IntoIterator<Item = String>, created: u64, owned_by: &str) -> Self {
        Self {
            object: "list".to_owned(),
            data: ids
                .into_iter()
                .map(|id| ModelCard {
                    id,
                    object: "model".to_owned(),
                    created,
                    owned_by: owned_by.to_owned(),
                })
                .collect(),
        }
    }
}
