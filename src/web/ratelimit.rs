//! A fixed-window limiter keyed by client address, for the few routes anyone
//! may write to without logging in. In memory: one binary serves one site, and
//! a restart forgiving everyone is acceptable for a spam brake.

use crate::error::AppError;
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Allows `limit` hits per key per `window`.
#[derive(Debug)]
pub struct Limiter {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// A limiter of `limit` hits per `window` for each key.
    pub fn new(limit: u32, window: Duration) -> Self {
        Limiter {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit for `key`; over its limit, the 429 to answer, carrying the
    /// seconds until the key's window ends (`Retry-After`).
    pub fn hit(&self, key: &str) -> Result<(), AppError> {
        self.hit_at(key, Instant::now())
    }

    fn hit_at(&self, key: &str, now: Instant) -> Result<(), AppError> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 10_000 {
            // Forget finished windows so the map cannot grow without bound.
            let window = self.window;
            hits.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = hits.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            // Whole seconds, rounded up, so a client that waits them is let in.
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return Err(AppError::TooManyRequests(Some(secs.max(1))));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_held_to_its_limit_until_the_window_passes() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let t = Instant::now();
        assert!(l.hit_at("a", t).is_ok());
        assert!(l.hit_at("a", t).is_ok());
        assert!(matches!(
            l.hit_at("a", t + Duration::from_millis(58_500)),
            Err(AppError::TooManyRequests(Some(2)))
        ));
        assert!(l.hit_at("b", t).is_ok(), "other keys are not affected");
        assert!(l.hit_at("a", t + Duration::from_secs(60)).is_ok());
    }
}
