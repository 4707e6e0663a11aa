//! Password hashing with argon2id. Hashing is slow on purpose, so it runs on the
//! blocking pool and never stalls the async workers.

use crate::error::FieldError;

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// Hashes on the current thread (CLI and demo data).
pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks a password against a stored PHC string.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the user does not exist,
/// so a failed login takes as long for unknown names as for known ones.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_blocking(&super::random_token(16)).unwrap_or_default());
    &DUMMY
}

/// Longest password accepted: argon2 takes any length, but a megabyte of
/// "password" is a way to burn CPU, not a password.
pub const MAX_LENGTH: usize = 128;

/// What a new or changed password must meet. Existing passwords are never
/// re-checked: the rules apply where a password is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Fewest characters.
    pub min_length: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { min_length: 10 }
    }
}

impl Policy {
    /// The policy the settings describe (never below 8 characters).
    pub fn from_settings(s: &crate::config::SecuritySettings) -> Self {
        Policy {
            min_length: usize::try_from(s.password_min_length).unwrap_or(10).max(8),
        }
    }

    /// Checks a new password for `field`: its length, that it is not a common
    /// password, and that it does not contain any of `names` (the login and
    /// display name). Returns the first rule broken, naming the field.
    pub fn check(&self, field: &str, password: &str, names: &[&str]) -> Result<(), FieldError> {
        let n = password.chars().count();
        if n < self.min_length {
            return Err(FieldError::new(field, "err-password-short").arg("min", self.min_length));
        }
        if n > MAX_LENGTH {
            return Err(FieldError::new(field, "err-password-long").arg("max", MAX_LENGTH));
        }
        let lower = password.to_lowercase();
        if is_common(&lower) {
            return Err(FieldError::new(field, "err-password-common"));
        }
        let contains_name = names
            .iter()
            .map(|n| n.trim().to_lowercase())
            // A one-letter name would refuse half of all passwords.
            .filter(|n| n.chars().count() >= 2)
            .any(|n| lower.contains(&n));
        if contains_name {
            return Err(FieldError::new(field, "err-password-personal"));
        }
        Ok(())
    }
}

/// Whether a (lower-case) password is on the embedded list of common ones.
fn is_common(lower: &str) -> bool {
    static LIST: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            include_str!("../../assets/common-passwords.txt")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        });
    LIST.contains(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), h.clone()).await);
        assert!(!verify("wrong horse".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn the_policy_refuses_short_common_and_personal_passwords() {
        let p = Policy::default();
        let names = ["zhang.san", "张三"];
        let key = |pw: &str| p.check("password", pw, &names).err().map(|e| e.key);
        assert_eq!(key("short-1"), Some("err-password-short"));
        assert_eq!(key(&"x".repeat(129)), Some("err-password-long"));
        assert_eq!(key("1234567890"), Some("err-password-common"));
        assert_eq!(
            key("Woaini1314"),
            Some("err-password-common"),
            "case-insensitive"
        );
        assert_eq!(key("qq123456789"), None, "only exact entries");
        assert_eq!(key("Zhang.San-2024"), Some("err-password-personal"));
        assert_eq!(key("我是张三的密码啊啊啊啊"), Some("err-password-personal"));
        assert_eq!(key("correct horse battery"), None);
        assert_eq!(key("qingting2019"), None, "the demo password stays valid");
        let e = p.check("new_password", "abc", &[]).unwrap_err();
        assert_eq!(e.field, "new_password");
        assert_eq!(e.arg_value("min"), Some("10"));
    }

    #[test]
    fn the_list_holds_the_common_and_the_chinese_passwords() {
        for pw in [
            "password",
            "123456789",
            "qwertyuiop",
            "woaini1314",
            "qq123456",
            "a123456",
        ] {
            assert!(is_common(pw), "{pw}");
        }
        assert!(!is_common(
            "# passwords refused for new accounts and changes (compared case-insensitively)."
        ));
    }
}
