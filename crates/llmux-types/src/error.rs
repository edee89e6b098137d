//! The one error type callers see, with LiteLLM's exception kinds.

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

/// LiteLLM's exception classes (`litellm/exceptions.py`), one variant each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    BadRequest,
    UnsupportedParams,
    ContextWindowExceeded,
    ContentPolicyViolation,
    Authentication,
    PaymentRequired,
    PermissionDenied,
    NotFound,
    Timeout,
    UnprocessableEntity,
    RateLimit,
    InternalServer,
    ApiConnection,
    BadGateway,
    ServiceUnavailable,
    /// Any other upstream status; the status is kept on the [`Error`].
    Api,
    BudgetExceeded,
    /// The request body is over the gateway's size limit.
    PayloadTooLarge,
    /// The gateway's own key check failed (LiteLLM's `ProxyException` of type `auth_error`).
    ProxyAuthentication,
    /// The router has no deployment to send the request to (all cooling down, or over
    /// their limits): LiteLLM's `RouterRateLimitError`, a 429 whose message carries no
    /// `litellm.` prefix.
    RouterRateLimit,
}

impl ErrorKind {
    /// The HTTP status LiteLLM answers with for this kind. Exhaustive on purpose: a new
    /// kind does not compile until it has a status.
    pub fn default_status(self) -> StatusCode {
        match self {
            Self::BadRequest
            | Self::UnsupportedParams
            | Self::ContextWindowExceeded
            | Self::ContentPolicyViolation
            | Self::BudgetExceeded => StatusCode::BAD_REQUEST,
            Self::Authentication | Self::ProxyAuthentication => StatusCode::UNAUTHORIZED,
            Self::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
            Self::PermissionDenied => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnprocessableEntity => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimit | Self::RouterRateLimit => StatusCode::TOO_MANY_REQUESTS,
            Self::InternalServer | Self::ApiConnection | Self::Api => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The exception's class name, as LiteLLM prefixes messages with it.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequestError",
            Self::UnsupportedParams => "UnsupportedParamsError",
            Self::ContextWindowExceeded => "ContextWindowExceededError",
            Self::ContentPolicyViolation => "ContentPolicyViolationError",
            Self::Authentication => "AuthenticationError",
            Self::PaymentRequired => "PaymentRequiredError",
            Self::PermissionDenied => "PermissionDeniedError",
            Self::NotFound => "NotFoundError",
            Self::Timeout => "Timeout",
            Self::UnprocessableEntity => "UnprocessableEntityError",
            Self::RateLimit => "RateLimitError",
            Self::InternalServer => "InternalServerError",
            Self::ApiConnection => "APIConnectionError",
            Self::BadGateway => "BadGatewayError",
            Self::ServiceUnavailable => "ServiceUnavailableError",
            Self::Api => "APIError",
            Self::BudgetExceeded => "BudgetExceededError",
            Self::PayloadTooLarge => "PayloadTooLargeError",
            Self::ProxyAuthentication => "ProxyException",
            Self::RouterRateLimit => "RouterRateLimitError",
        }
    }

    /// The kind LiteLLM's `_map_exception_by_status` gives an upstream status.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Authentication,
            402 => Self::PaymentRequired,
            403 => Self::PermissionDenied,
            404 => Self::NotFound,
            408 | 504 => Self::Timeout,
            413 => Self::BadRequest,
            422 => Self::UnprocessableEntity,
            429 => Self::RateLimit,
            500 => Self::InternalServer,
            502 => Self::BadGateway,
            503 => Self::ServiceUnavailable,
            s if (400..500).contains(&s) => Self::BadRequest,
            _ => Self::Api,
        }
    }
}

/// An llmux error: what went wrong, where, and how the client should hear about it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.display_message())]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The HTTP status the client gets.
    pub status: StatusCode,
    /// The provider that failed (`openai`, `anthropic`, …), when one did.
    pub provider: Option<String>,
    /// The model (or model group) the call was for.
    pub model: Option<String>,
    /// `error.param` of the OpenAI error body.
    pub param: Option<String>,
    /// How long the upstream asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// Upstream response headers worth passing on (rate-limit headers, Retry-After).
    pub upstream_headers: Vec<(String, String)>,
    /// `error.type` when it is not the one the kind and status give (LiteLLM's
    /// `all_deployments_in_cooldown`).
    pub error_type: Option<&'static str>,
}

impl Error {
    /// An error of `kind` with its default status.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: kind.default_status(),
            provider: None,
            model: None,
            param: None,
            retry_after: None,
            upstream_headers: Vec::new(),
            error_type: None,
        }
    }

    /// `litellm.<Class>: message`, as LiteLLM's exceptions print; router errors print
    /// their message alone, as LiteLLM's `RouterRateLimitError` (a `ValueError`) does.
    fn display_message(&self) -> String {
        match self.kind {
            // The proxy's own refusals carry their message bare, as LiteLLM's
            // `ProxyException` and `BudgetExceededError.message` do.
            ErrorKind::RouterRateLimit
            | ErrorKind::ProxyAuthentication
            | ErrorKind::BudgetExceeded => self.message.clone(),
            kind => format!("litellm.{}: {}", kind.class_name(), self.message),
        }
    }

    /// A 400 `BadRequestError`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// Overrides the status (for [`ErrorKind::Api`] and LiteLLM's remaps such as 504 → Timeout).
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    #[must_use]
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    #[must_use]
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Whether LiteLLM retries this error on the same deployment: 408, 409, 429 and 5xx,
    /// plus connection failures (`router.py: should_retry_this_error`).
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout | ErrorKind::RateLimit | ErrorKind::ApiConnection => true,
            ErrorKind::UnsupportedParams
            | ErrorKind::ContextWindowExceeded
            | ErrorKind::ContentPolicyViolation
            | ErrorKind::BudgetExceeded
            | ErrorKind::PayloadTooLarge
            | ErrorKind::ProxyAuthentication
            | ErrorKind::RouterRateLimit => false,
            _ => {
                let s = self.status.as_u16();
                s == 408 || s == 409 || s == 429 || s >= 500
            }
        }
    }

    /// `error.type` as LiteLLM's proxy answers it: the type an exception carries
    /// (`throttling_error`, `internal_server_error`), else the one its status stands for.
    pub fn openai_type(&self) -> &'static str {
        if let Some(t) = self.error_type {
            return t;
        }
        match self.kind {
            ErrorKind::RouterRateLimit => "rate_limit_error",
            ErrorKind::RateLimit => "throttling_error",
            ErrorKind::InternalServer => "internal_server_error",
            ErrorKind::ProxyAuthentication => "auth_error",
            ErrorKind::BudgetExceeded => "budget_exceeded",
            _ => match self.status.as_u16() {
                401 => "authentication_error",
                403 => "permission_error",
                429 => "rate_limit_error",
                s if s < 500 => "invalid_request_error",
                _ => "internal_server_error",
            },
        }
    }

    /// The client-facing message, prefixed with the exception class as LiteLLM does.
    pub fn client_message(&self) -> String {
        self.to_string()
    }

    /// The OpenAI-style body: `{"error": {"message", "type", "param", "code"}}`, where
    /// `code` is the HTTP status as a string, as LiteLLM's `ProxyException` sets it.
    pub fn openai_body(&self) -> Value {
        json!({
            "error": {
                "message": self.client_message(),
                "type": self.openai_type(),
                "param": self.param,
                "code": self.status.as_u16().to_string(),
            }
        })
    }

    /// `error.type` of the Anthropic-style body: LiteLLM's `ANTHROPIC_ERROR_TYPE_MAP` by
    /// status, `api_error` for any status it does not list.
    pub fn anthropic_type(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            529 => "overloaded_error",
            _ => "api_error",
        }
    }

    /// The Anthropic-style body `{"type": "error", "error": {"type", "message"}}`, for the
    /// `/v1/messages` entrance.
    pub fn anthropic_body(&self) -> Value {
        json!({"type": "error", "error": {"type": self.anthropic_type(), "message": self.client_message()}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxys_own_refusals_are_not_prefixed_with_a_class() {
        let budget = Error::new(
            ErrorKind::BudgetExceeded,
            "Budget has been exceeded! Current cost: 2, Max budget: 1",
        );
        assert_eq!(
            budget.openai_body()["error"]["message"],
            "Budget has been exceeded! Current cost: 2, Max budget: 1"
        );
        assert_eq!(budget.openai_body()["error"]["type"], "budget_exceeded");
        let auth = Error::new(
            ErrorKind::ProxyAuthentication,
            "Authentication Error, no key",
        );
        assert_eq!(auth.to_string(), "Authentication Error, no key");
        assert_eq!(
            Error::new(ErrorKind::RateLimit, "slow").to_string(),
            "litellm.RateLimitError: slow"
        );
    }

    #[test]
    fn rate_limit_body_matches_litellm_proxy() {
        let e = Error::new(ErrorKind::RateLimit, "slow down");
        let body = e.openai_body();
        assert_eq!(body["error"]["type"], "throttling_error");
        assert_eq!(body["error"]["code"], "429");
        assert_eq!(body["error"]["param"], Value::Null);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("slow down")
        );
    }

    #[test]
    fn types_follow_status_when_kind_carries_none() {
        assert_eq!(
            Error::new(ErrorKind::Authentication, "x").openai_type(),
            "authentication_error"
        );
        assert_eq!(
            Error::new(ErrorKind::UnsupportedParams, "x").openai_type(),
            "invalid_request_error"
        );
        assert_eq!(
            Error::new(ErrorKind::ServiceUnavailable, "x").openai_type(),
            "internal_server_error"
        );
        assert_eq!(
            Error::new(ErrorKind::PermissionDenied, "x").openai_type(),
            "permission_error"
        );
    }

    #[test]
    fn anthropic_types_follow_litellm_status_map() {
        let of = |status: u16| {
            Error::new(ErrorKind::Api, "x")
                .with_status(StatusCode::from_u16(status).unwrap())
                .anthropic_body()["error"]["type"]
                .clone()
        };
        assert_eq!(of(400), "invalid_request_error");
        assert_eq!(of(413), "request_too_large");
        assert_eq!(of(422), "api_error");
        assert_eq!(of(429), "rate_limit_error");
        assert_eq!(of(503), "api_error");
        assert_eq!(of(529), "overloaded_error");
    }

    #[test]
    fn retry_rules_follow_litellm() {
        assert!(Error::new(ErrorKind::RateLimit, "").is_retryable());
        assert!(Error::new(ErrorKind::InternalServer, "").is_retryable());
        assert!(Error::new(ErrorKind::Timeout, "").is_retryable());
        assert!(!Error::new(ErrorKind::BadRequest, "").is_retryable());
        assert!(!Error::new(ErrorKind::Authentication, "").is_retryable());
        assert!(!Error::new(ErrorKind::ContextWindowExceeded, "").is_retryable());
        let conflict = Error::new(ErrorKind::BadRequest, "").with_status(StatusCode::CONFLICT);
        assert!(conflict.is_retryable());
    }

    #[test]
    fn status_mapping_follows_map_exception_by_status() {
        assert_eq!(
            ErrorKind::from_status(StatusCode::GATEWAY_TIMEOUT),
            ErrorKind::Timeout
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::IM_A_TEAPOT),
            ErrorKind::BadRequest
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::from_u16(599).unwrap()),
            ErrorKind::Api
        );
    }
}
