//! Login throttling: a growing wait after failed logins, never a lock a
//! stranger controls. Failures are counted per client address (over all
//! accounts), per account from one address, and per account from everywhere.
//!
//! Why three counts: the address count stops one machine spraying guesses over
//! many accounts; the (account, address) count stops one machine hammering one
//! account, and only that machine waits; the account count slows an attack
//! spread over many addresses, but it makes only addresses that have failed
//! wait. An address without recent failures (the real user's) may still try
//! the password, so nobody can keep a colleague out, while a spread-out
//! attacker pays with one fresh address per guess.
//!
//! Counts live in the database (`login_throttle`), so they hold across
//! restarts and across app servers sharing a PostgreSQL database. An attempt
//! is counted as a failure *before* the password is checked and given back
//! when it succeeds, so parallel requests cannot slip past the count.

use std::net::IpAddr;

use crate::{
    config::SecuritySettings,
    db::{Backend, Db, DbError, now},
};

/// How one count turns failures into a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before any wait.
    pub free: i64,
    /// The first wait, in seconds; it doubles with each further failure.
    pub first_wait: i64,
    /// The longest wait, in seconds.
    pub max_wait: i64,
    /// Seconds without a failure after which the count is forgotten.
    pub forget: i64,
}

/// A stored count: failures and when the last one happened (epoch seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub failures: i64,
    pub last_failure_at: i64,
}

impl Policy {
    /// Whether the count still matters at `now`.
    fn live(&self, c: Count, now: i64) -> bool {
        now - c.last_failure_at < self.forget
    }

    /// The wait after `failures` failures: none while they are free, then
    /// `first_wait`, doubling per further failure, at most `max_wait`.
    pub fn delay(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = (failures - self.free).min(40) as u32;
        self.first_wait
            .saturating_mul(2i64.saturating_pow(doublings))
            .min(self.max_wait)
    }

    /// Seconds until the next attempt may be made, 0 if now.
    pub fn wait(&self, count: Option<Count>, now: i64) -> i64 {
        match count {
            Some(c) if self.live(c, now) => {
                (c.last_failure_at + self.delay(c.failures) - now).max(0)
            }
            _ => 0,
        }
    }

    /// Whether a count holds failures that still matter.
    pub fn has_failures(&self, count: Option<Count>, now: i64) -> bool {
        count.is_some_and(|c| c.failures > 0 && self.live(c, now))
    }
}

/// The three policies, from the settings.
#[derive(Clone, Copy, Debug)]
pub struct Policies {
    pub address: Policy,
    pub pair: Policy,
    pub account: Policy,
}

impl Policies {
    /// The policies the settings describe.
    pub fn from_settings(s: &SecuritySettings) -> Self {
        let p = |free: i64| Policy {
            free: free.max(1),
            first_wait: s.throttle_first_wait_seconds.max(1),
            max_wait: s.throttle_max_wait_seconds.max(1),
            forget: s.throttle_forget_minutes.max(1) * 60,
        };
        Policies {
            address: p(s.throttle_per_address),
            pair: p(s.throttle_per_account_and_address),
            account: p(s.throttle_per_account),
        }
    }

    /// Seconds an attempt must wait given the three counts. The account's own
    /// count only holds back addresses that have failed themselves.
    pub fn wait(
        &self,
        address: Option<Count>,
        pair: Option<Count>,
        account: Option<Count>,
        now: i64,
    ) -> i64 {
        let mut w = self
            .address
            .wait(address, now)
            .max(self.pair.wait(pair, now));
        if self.address.has_failures(address, now) {
            w = w.max(self.account.wait(account, now));
        }
        w
    }

    fn forget_before(&self, now: i64) -> i64 {
        now - self.address.forget
    }
}

/// The part of an address that identifies a client: the whole IPv4 address,
/// the /64 network of an IPv6 one (one household or phone holds a whole /64).
pub fn address_part(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_string(),
    }
}

/// The keys one attempt is counted under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    address: String,
    pair: String,
    account: String,
}

impl Keys {
    /// The keys of an attempt on `username` (as typed, normalised) from `ip`.
    pub fn new(username: &str, ip: Option<IpAddr>) -> Self {
        let name = username.trim().to_lowercase();
        let addr = address_part(ip);
        Keys {
            address: super::hash_token(&format!("addr\n{addr}")),
            pair: super::hash_token(&format!("pair\n{name}\n{addr}")),
            account: account_key(&name),
        }
    }
}

impl Keys {
    /// Each key with the account its row belongs to (none for the address).
    fn rows(&self) -> [(&str, Option<&str>); 3] {
        [
            (&self.address, None),
            (&self.pair, Some(&self.account)),
            (&self.account, Some(&self.account)),
        ]
    }
}

/// The key of an account's own count (also the `account` column of its rows).
pub fn account_key(username: &str) -> String {
    super::hash_token(&format!("user\n{}", username.trim().to_lowercase()))
}

/// What the throttle says about an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead; the attempt is counted as a failure until [`succeeded`] or
    /// [`not_failed`] gives it back.
    Open,
    /// Not now: try again in this many seconds. Nothing was counted.
    Wait(i64),
}

async fn read(tx: &mut crate::db::Tx, key: &str, lock: &str) -> Result<Option<Count>, DbError> {
    let row: Option<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT failures, last_failure_at FROM login_throttle WHERE key = $1{lock}"
    )))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(failures, last_failure_at)| Count {
        failures,
        last_failure_at,
    }))
}

/// Asks whether an attempt may go ahead and, if so, counts it as a failure.
pub async fn begin(db: &Db, p: &Policies, keys: &Keys) -> Result<Gate, DbError> {
    let t = now();
    let mut tx = db.begin().await?;
    // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL locks
    // the rows, created first so there is something to lock.
    let lock = match db.backend() {
        Backend::Postgres => {
            for (key, account) in keys.rows() {
                sqlx::query(
                    "INSERT INTO login_throttle (key, account, failures, last_failure_at) VALUES ($1, $2, 0, 0) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            }
            " FOR UPDATE"
        }
        Backend::Sqlite => "",
    };
    let address = read(&mut tx, &keys.address, lock).await?;
    let pair = read(&mut tx, &keys.pair, lock).await?;
    let account = read(&mut tx, &keys.account, lock).await?;
    let wait = p.wait(address, pair, account, t);
    if wait > 0 {
        tx.commit().await?;
        return Ok(Gate::Wait(wait));
    }
    for (key, account) in keys.rows() {
        sqlx::query(
            "INSERT INTO login_throttle (key, account, failures, last_failure_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.last_failure_at < $4 THEN 1 ELSE login_throttle.failures + 1 END, \
             last_failure_at = $3",
        )
        .bind(key)
        .bind(account)
        .bind(t)
        .bind(p.forget_before(t))
        .execute(&mut *tx)
        .await?;
    }
    // Forgotten counts are dead weight; the index on the time makes this cheap.
    sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1")
        .bind(p.forget_before(t) - p.address.max_wait)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Gate::Open)
}

async fn give_back(tx: &mut crate::db::Tx, key: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The attempt succeeded: the account's own count and its count from this
/// address are forgotten. A stranger's count on the account from elsewhere
/// stays, or the real user logging in would give them fresh tries; the
/// address gets its attempt back but keeps its other failures, or an attacker
/// could clear them by logging in to an account of their own between guesses.
pub async fn succeeded(db: &Db, keys: &Keys) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    give_back(&mut tx, &keys.address).await?;
    sqlx::query("DELETE FROM login_throttle WHERE key = $1 OR key = $2")
        .bind(&keys.account)
        .bind(&keys.pair)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The attempt was right but not yet a login (a second factor is still to
/// come): every count gets the attempt back and nothing is forgotten, so
/// wrong codes keep adding up however often the password is retyped.
pub async fn not_failed(db: &Db, keys: &Keys) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    for key in [&keys.address, &keys.pair, &keys.account] {
        give_back(&mut tx, key).await?;
    }
    tx.commit().await
}

/// For each of `usernames` whose own count holds failed addresses back now,
/// until when (epoch seconds); for the admin's user pages.
pub async fn accounts_waiting(
    db: &Db,
    p: &Policies,
    usernames: &[&str],
) -> Result<std::collections::HashMap<String, i64>, DbError> {
    let mut out = std::collections::HashMap::new();
    if usernames.is_empty() {
        return Ok(out);
    }
    let keys: Vec<(String, &str)> = usernames.iter().map(|u| (account_key(u), *u)).collect();
    // The keys are SHA-256 hex made here, so inlining them cannot inject anything.
    let list: Vec<String> = keys.iter().map(|(k, _)| format!("'{k}'")).collect();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT key, failures, last_failure_at FROM login_throttle WHERE key IN ({})",
        list.join(",")
    )))
    .fetch_all(db.pool())
    .await?;
    let t = now();
    for (key, failures, last_failure_at) in rows {
        let w = p.account.wait(
            Some(Count {
                failures,
                last_failure_at,
            }),
            t,
        );
        if let Some((_, name)) = keys.iter().find(|(k, _)| *k == key)
            && w > 0
        {
            out.insert((*name).to_string(), t + w);
        }
    }
    Ok(out)
}

/// Forgets every count of an account (an admin lifting the throttle).
pub async fn clear_account(tx: &mut crate::db::Tx, username: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM login_throttle WHERE account = $1")
        .bind(account_key(username))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        free: 5,
        first_wait: 30,
        max_wait: 900,
        forget: 3600,
    };

    fn c(failures: i64, at: i64) -> Option<Count> {
        Some(Count {
            failures,
            last_failure_at: at,
        })
    }

    #[test]
    fn the_wait_doubles_after_the_free_failures_up_to_the_cap() {
        let delays: Vec<i64> = (0..12).map(|f| P.delay(f)).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(P.delay(1_000_000), 900, "no overflow");
    }

    #[test]
    fn the_wait_runs_from_the_last_failure_and_is_forgotten() {
        assert_eq!(P.wait(None, 1000), 0);
        assert_eq!(P.wait(c(4, 1000), 1000), 0, "still free");
        assert_eq!(P.wait(c(5, 1000), 1000), 30);
        assert_eq!(P.wait(c(5, 1000), 1010), 20);
        assert_eq!(P.wait(c(5, 1000), 1030), 0, "waited long enough");
        assert_eq!(P.wait(c(50, 1000), 1000 + 3599), 0, "capped at 900");
        assert_eq!(P.wait(c(50, 1000), 1000 + 899), 1);
        assert!(P.has_failures(c(1, 1000), 1000 + 3599));
        assert!(!P.has_failures(c(1, 1000), 1000 + 3600), "forgotten");
    }

    #[test]
    fn an_account_count_holds_back_only_addresses_that_failed() {
        let p = Policies {
            address: Policy { free: 10, ..P },
            pair: P,
            account: Policy { free: 20, ..P },
        };
        let hammered = c(25, 1000);
        assert_eq!(
            p.wait(None, None, hammered, 1001),
            0,
            "a clean address may try"
        );
        assert_eq!(
            p.wait(c(1, 990), None, hammered, 1001),
            899,
            "a failed one waits"
        );
        assert_eq!(p.wait(c(10, 1000), None, None, 1001), 29, "address spray");
        assert_eq!(p.wait(c(5, 1000), c(5, 1000), None, 1001), 29, "pair");
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_part(Some(a)), address_part(Some(b)));
        assert_eq!(
            address_part(Some("::ffff:10.1.2.3".parse().unwrap())),
            "10.1.2.3"
        );
        assert_ne!(Keys::new("admin", Some(a)), Keys::new("admin", None));
        assert_eq!(Keys::new(" Admin ", Some(a)), Keys::new("admin", Some(b)));
    }
}
