//! A per-process cache of live tokens, so a request whose token was checked moments ago
//! skips the token and account queries.
//!
//! How stale it can be: an entry is trusted for at most [`TTL`] after the database found the
//! token live, and never at or past the token's own expiry. Revoking a token or disabling an
//! account through this process's API clears the cache at once (and a check that read the
//! database before the clear does not store what it read). A revocation made elsewhere (by
//! another server process sharing the PostgreSQL database, or written to the database
//! directly) takes effect in this process within [`TTL`]. Only live tokens are cached:
//! unknown, revoked, expired and disabled ones always go to the database, so their refusals,
//! their reasons and the failed-authentication throttle are unchanged.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::Caller;
use crate::storage::{self, accounts, accounts::TokenStatus};

/// How long a token the database found live is trusted without asking again. It is below
/// the minute between `last_used_at` updates, so the first miss after that minute records use.
pub const TTL: Duration = Duration::from_secs(5);

/// Entries kept at most; past this the cache starts over, which costs one check per token.
const MAX_ENTRIES: usize = 10_000;

/// Live tokens by SHA-256 hash, with the caller each resolved to (see the module docs for
/// how stale an entry may be).
#[derive(Debug, Default)]
pub struct TokenCache(Mutex<Entries>);

#[derive(Debug, Default)]
struct Entries {
    /// Bumped by every [`TokenCache::clear`], so a check that began before it cannot store
    /// what it read.
    generation: u64,
    live: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    caller: Caller,
    checked_at: Instant,
    expires_at: Option<DateTime<Utc>>,
}

impl Entry {
    fn fresh(&self, now: Instant, wall: DateTime<Utc>) -> bool {
        now.saturating_duration_since(self.checked_at) < TTL
            && self.expires_at.is_none_or(|at| wall < at)
    }
}

impl TokenCache {
    /// What the token with `token_hash` is: a fresh cached caller, else the database's answer
    /// ([`accounts::check_token`]), which is cached when the token is live.
    pub async fn check(
        &self,
        conn: &impl ConnectionTrait,
        token_hash: &str,
    ) -> storage::Result<TokenStatus> {
        let generation = {
            let mut entries = self.lock();
            if let Some(live) = entries.fresh(token_hash, Instant::now(), storage::now()) {
                return Ok(live);
            }
            entries.generation
        };
        let checked_at = Instant::now();
        let status = accounts::check_token(conn, token_hash).await?;
        if let TokenStatus::Live { caller, expires_at } = &status {
            self.lock().put(
                generation,
                token_hash,
                Entry {
                    caller: caller.clone(),
                    checked_at,
                    expires_at: *expires_at,
                },
            );
        }
        Ok(status)
    }

    /// Forgets every token, after a revocation or a disabled account.
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.live.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Entries {
    /// The cached status of `token_hash` if still fresh at `now` (`wall` on the clock token
    /// expiries are read against); a stale entry is dropped.
    fn fresh(
        &mut self,
        token_hash: &str,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> Option<TokenStatus> {
        let entry = self.live.get(token_hash)?;
        if !entry.fresh(now, wall) {
            self.live.remove(token_hash);
            return None;
        }
        Some(TokenStatus::Live {
            caller: entry.caller.clone(),
            expires_at: entry.expires_at,
        })
    }

    /// Stores `entry` unless the cache was cleared since `generation` was read.
    fn put(&mut self, generation: u64, token_hash: &str, entry: Entry) {
        if generation != self.generation {
            return;
        }
        if self.live.len() >= MAX_ENTRIES {
            self.live.clear();
        }
        self.live.insert(token_hash.to_owned(), entry);
    }
}

#[cfg(test)]
mod tests {
    use camptrack_domain::codes::Role;
    use uuid::Uuid;

    use super::*;

    fn entry(checked_at: Instant, expires_at: Option<DateTime<Utc>>) -> Entry {
        Entry {
            caller: Caller {
                account_id: Uuid::nil(),
                name: "Field lead".to_owned(),
                role: Role::Admin,
                organisation_id: None,
                area: Default::default(),
            },
            checked_at,
            expires_at,
        }
    }

    fn is_live(status: Option<TokenStatus>) -> bool {
        matches!(status, Some(TokenStatus::Live { .. }))
    }

    #[test]
    fn a_cached_token_is_trusted_only_for_the_ttl() {
        let (now, wall) = (Instant::now(), Utc::now());
        let mut entries = Entries::default();
        entries.put(0, "h", entry(now, None));
        assert!(is_live(entries.fresh("h", now + TTL / 2, wall)));
        assert!(!is_live(entries.fresh("h", now + TTL, wall)));
        assert!(entries.live.is_empty(), "a stale entry is dropped");
    }

    #[test]
    fn a_cached_token_is_refused_from_its_expiry_on_within_the_ttl() {
        let (now, wall) = (Instant::now(), Utc::now());
        let expires_at = wall + chrono::Duration::seconds(1);
        let mut entries = Entries::default();
        entries.put(0, "h", entry(now, Some(expires_at)));
        assert!(is_live(entries.fresh(
            "h",
            now,
            expires_at - chrono::Duration::microseconds(1)
        )));
        assert!(!is_live(entries.fresh("h", now, expires_at)));
    }

    #[test]
    fn a_check_begun_before_a_clear_does_not_store_its_answer() {
        let cache = TokenCache::default();
        let generation = cache.lock().generation;
        cache
            .lock()
            .put(generation, "a", entry(Instant::now(), None));
        cache.clear();
        cache
            .lock()
            .put(generation, "b", entry(Instant::now(), None));
        assert!(cache.lock().live.is_empty());
    }

    #[test]
    fn the_cache_starts_over_when_full() {
        let now = Instant::now();
        let mut entries = Entries::default();
        for i in 0..=MAX_ENTRIES {
            entries.put(0, &i.to_string(), entry(now, None));
        }
        assert_eq!(entries.live.len(), 1);
    }
}
