//! One cached, single-flight token store for every token-based credential source
//! (Google OAuth, STS assume-role, Azure AD).
//!
//! A token is kept with its expiry and reused until less than the refresh margin of its
//! lifetime is left; then the next caller fetches a new one. Reads take a short `std`
//! lock that is never held across `.await`; a refresh is single-flight behind a `tokio`
//! mutex, so callers that find the token stale together wait for one fetch instead of
//! each calling the endpoint. A failed fetch is not cached: the next call tries again.

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use llmux_types::Error;

/// What "now" is for the cache; tests inject their own.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Tokens are replaced once less than this much of their lifetime is left.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The longest a token is kept, whatever its endpoint says: a huge `expires_in` would
/// overflow `Instant + Duration`, and no provider's tokens live this long anyway.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A cached token of type `T` (a bearer string, a set of AWS keys).
pub struct TokenStore<T> {
    cached: RwLock<Option<(T, Instant)>>,
    refresh: tokio::sync::Mutex<()>,
    margin: Duration,
    clock: Clock,
}

impl<T> std::fmt::Debug for TokenStore<T> {
    // The token itself stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Default for TokenStore<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> TokenStore<T> {
    pub fn new() -> Self {
        Self {
            cached: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            margin: DEFAULT_REFRESH_MARGIN,
            clock: Arc::new(Instant::now),
        }
    }

    /// Refresh when less than `margin` of a token's lifetime is left.
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Use `clock` as "now" (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn refresh_margin(&self) -> Duration {
        self.margin
    }

    /// The cached token while it is fresh, else the one `fetch` returns with its
    /// lifetime (measured from before the fetch, so it errs on the early side).
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<T, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration), Error>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // Single flight: a tokio mutex, so holding it across the fetch is fine.
        let _refreshing = self.refresh.lock().await;
        // Whoever held the lock before may have refreshed already.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let fetched_at = (self.clock)();
        let (token, lifetime) = fetch().await?;
        let expires_at = fetched_at
            .checked_add(lifetime.min(MAX_LIFETIME))
            .unwrap_or(fetched_at);
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) =
            Some((token.clone(), expires_at));
        Ok(token)
    }

    fn fresh(&self) -> Option<T> {
        let now = (self.clock)();
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|(_, expires_at)| expires_at.saturating_duration_since(now) > self.margin)
            .map(|(t, _)| t.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn one_fetch_for_many_callers_and_a_refresh_before_expiry() {
        let start = Instant::now();
        let now = Arc::new(Mutex::new(start));
        let clock = now.clone();
        let store = Arc::new(
            TokenStore::<String>::new()
                .with_clock(move || *clock.lock().unwrap_or_else(PoisonError::into_inner)),
        );
        let fetches = Arc::new(AtomicU32::new(0));
        let fetch = |fetches: Arc<AtomicU32>| async move {
            let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok((format!("token-{n}"), Duration::from_secs(3600)))
        };
        let calls: Vec<_> = (0..16)
            .map(|_| {
                let store = store.clone();
                let fetches = fetches.clone();
                tokio::spawn(async move { store.get(|| fetch(fetches)).await })
            })
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap().unwrap(), "token-1");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // 54 minutes on: more than the 5-minute margin is left, still cached.
        *now.lock().unwrap() = start + Duration::from_secs(54 * 60);
        assert_eq!(
            store.get(|| fetch(fetches.clone())).await.unwrap(),
            "token-1"
        );
        // With 4m59s left (under the margin, not yet expired) it is refreshed.
        *now.lock().unwrap() = start + Duration::from_secs(3600 - 299);
        assert_eq!(
            store.get(|| fetch(fetches.clone())).await.unwrap(),
            "token-2"
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_not_cached() {
        let store = TokenStore::<String>::new();
        let e = store
            .get(|| async { Err(Error::bad_request("no")) })
            .await
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let t = store
            .get(|| async { Ok(("ok".to_owned(), Duration::from_secs(60 * 60))) })
            .await
            .unwrap();
        assert_eq!(t, "ok");
    }

    #[tokio::test]
    async fn a_huge_lifetime_is_capped_not_overflowed() {
        let start = Instant::now();
        let now = Arc::new(Mutex::new(start));
        let clock = now.clone();
        let store = TokenStore::<String>::new()
            .with_clock(move || *clock.lock().unwrap_or_else(PoisonError::into_inner));
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
            Ok((format!("token-{n}"), Duration::MAX))
        };
        assert_eq!(store.get(fetch).await.unwrap(), "token-1");
        assert_eq!(store.get(fetch).await.unwrap(), "token-1", "cached");
        *now.lock().unwrap() = start + MAX_LIFETIME;
        assert_eq!(store.get(fetch).await.unwrap(), "token-2", "capped");
    }
}
