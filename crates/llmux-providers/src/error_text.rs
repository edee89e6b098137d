//! Failure kinds LiteLLM detects from an upstream's message text
//! (`exception_mapping_utils.py: ExceptionCheckers`), with its substrings.

/// Whether an error message says the prompt did not fit the model's context window.
pub fn is_context_window_exceeded(message: &str) -> bool {
    let lower = message.to_lowercase();
    // OpenAI's over-long `user` parameter reads like a context error but is not one.
    if lower.contains("string_above_max_length")
        || (lower.contains("invalid 'user'") && lower.contains("string too long"))
    {
        return false;
    }
    const KNOWN: &[&str] = &[
        "exceed context limit",
        "this model's maximum context length is",
        "string too long. expected a string with maximum length",
        "model's maximum context limit",
        "is longer than the model's context length",
        "input tokens exceed the configured limit",
        "`inputs` tokens + `max_new_tokens` must be",
        "exceeds the available context size",
        "exceeds the maximum number of tokens allowed",
        "prompt is too long",
        "input is too long",
        "context_length_exceeded",
    ];
    KNOWN.iter().any(|s| lower.contains(s))
        || (lower.contains("current length is") && lower.contains("while limit is"))
        || (lower.contains("maximum input length is") && lower.contains("tokens"))
        || (lower.contains("input too long:") && lower.contains("input tokens, limit is"))
}

/// Whether an error message says the provider's content policy refused the request.
pub fn is_content_policy_violation(message: &str) -> bool {
    let lower = message.to_lowercase();
    const KNOWN: &[&str] = &[
        "content_policy_violation",
        "responsibleaipolicyviolation",
        "the response was filtered due to the prompt triggering azure openai's content management",
        "your task failed as a result of our safety system",
        "the model produced invalid content",
        "content_filter_policy",
        "your request was rejected as a result of our safety system",
    ];
    KNOWN.iter().any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_providers_context_message() {
        assert!(is_context_window_exceeded(
            "This model's maximum context length is 8192 tokens."
        ));
        assert!(is_context_window_exceeded(
            "prompt is too long: 210000 tokens > 200000 maximum"
        ));
        assert!(is_context_window_exceeded(
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
        ));
        assert!(is_context_window_exceeded(
            "Input is too long for requested model."
        ));
        assert!(is_context_window_exceeded(
            "Current length is 9000 while limit is 8192"
        ));
        assert!(!is_context_window_exceeded(
            "Invalid 'user': string too long. Expected a string with maximum length 64"
        ));
        assert!(!is_context_window_exceeded("Rate limit reached"));
    }

    #[test]
    fn detects_content_policy() {
        assert!(is_content_policy_violation(
            "Error code: content_policy_violation"
        ));
        assert!(is_content_policy_violation(
            "Your request was rejected as a result of our safety system."
        ));
        assert!(!is_content_policy_violation("bad request"));
    }
}
