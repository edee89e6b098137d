//! The one credential layer between building a request and sending it.
//!
//! Providers (`llmux-providers`) are sans-IO: they write a static key into the request
//! themselves, but cannot mint a token or sign (that needs the network, the clock and
//! secrets). Everything else is an [`Authorize`], kept on the
//! [`Deployment`](crate::Deployment) and asked by the client on every attempt:
//!
//! - **static key** (`api_key`, `azure_ad_token`): no `Authorize`; the adapter writes it,
//!   as before;
//! - **Google OAuth** for Vertex AI ([`google::GoogleTokenSource`]): a bearer
//!   token before the request is built;
//! - **AWS SigV4** for Bedrock ([`aws::SigV4Signer`]), with STS assume-role: the built
//!   request is signed;
//! - **Azure AD client credentials** ([`azure_ad::AzureAdTokenSource`]): a bearer token.
//!
//! Token-based sources share one cached, single-flight [`token_store::TokenStore`]
//! that refreshes before expiry; every token endpoint can be pointed at a private URL.
//! This module and `transport` are where llmux opens connections for a call.

use bytes::Bytes;
use futures::future::BoxFuture;
use llmux_types::Error;

use crate::Secret;

pub mod aws;
pub mod azure_ad;
pub mod google;
pub mod token_store;

/// Authorizes a request a provider adapter built.
pub trait Authorize: Send + Sync + std::fmt::Debug {
    /// A bearer token the adapter writes into its own header (`Target::bearer_token`),
    /// obtained before the request is built.
    fn bearer_token(&self) -> BoxFuture<'_, Result<Option<Secret>, Error>> {
        Box::pin(async { Ok(None) })
    }

    /// Finishes the built request (adds a signature).
    fn sign<'a>(&'a self, req: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<(), Error>> {
        let _ = req;
        Box::pin(async { Ok(()) })
    }
}

impl Authorize for google::GoogleTokenSource {
    fn bearer_token(&self) -> BoxFuture<'_, Result<Option<Secret>, Error>> {
        Box::pin(async move { self.token().await.map(Some) })
    }
}
