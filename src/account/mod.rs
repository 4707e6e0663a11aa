//! A person's own security page (`/account`): the second factor (TOTP, RFC 6238)
//! with its one-time recovery codes, their own password, and their last login.
//! The second step of a login (`/login/code`) checks codes through here.

pub mod api;
pub mod ops;
pub mod pages;
pub mod store;

use totp_rs::{Builder, Secret, Totp};

/// The issuer an authenticator app shows beside the account.
pub const ISSUER: &str = "Qingting";

/// How many recovery codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// Letters and digits of recovery codes: no 0/o, 1/l/i to misread on paper.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Characters of a recovery code (about 50 random bits), shown as two groups of five.
const RECOVERY_LEN: usize = 10;

/// A TOTP shared secret, as base32 (RFC 4648, no padding).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(String);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A fresh 160-bit secret, the size RFC 4226 recommends.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        TotpSecret(Secret::from(bytes).to_base32())
    }

    /// A secret as typed or stored; `None` unless it is base32 of at least 128 bits.
    pub fn parse(raw: &str) -> Option<Self> {
        let clean: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .collect::<String>()
            .to_ascii_uppercase();
        let bytes = Secret::try_from_base32(&clean).ok()?;
        (bytes.as_bytes().len() >= 16).then_some(TotpSecret(clean))
    }

    /// The base32 text, as stored and as typed into an app by hand.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text in groups of four, easier to type.
    pub fn grouped(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn totp(&self, account: &str) -> Option<Totp> {
        let secret = Secret::try_from_base32(&self.0).ok()?;
        Builder::new()
            .with_secret(secret)
            .with_account_name(account.replace(':', "_"))
            .with_issuer(Some(ISSUER))
            .build()
            .ok()
    }

    /// The `otpauth://` link an authenticator app reads from the QR code.
    pub fn url(&self, account: &str) -> Option<String> {
        self.totp(account)?.to_url().ok()
    }

    /// The time step (of 30 s) a six-digit code matches at `now`, one step
    /// either side allowed for clock drift; `None` when it matches none.
    pub fn check(&self, code: &str, now: i64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let step = self.totp("x")?.check(&code, u64::try_from(now).ok()?)?;
        i64::try_from(step).ok()
    }

    /// The code at `now` (tests and the CLI compute codes with it).
    pub fn code_at(&self, now: i64) -> String {
        self.totp("x")
            .map(|t| t.generate(u64::try_from(now).unwrap_or(0)).to_string())
            .unwrap_or_default()
    }
}

/// Whether what was typed looks like a six-digit TOTP code (else it may be a recovery code).
pub fn is_totp_code(raw: &str) -> bool {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Fresh recovery codes, as shown once: `abcde-fghjk`.
pub fn new_recovery_codes() -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let s: String = (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect()
}

/// A recovery code as typed, reduced to its characters (case, spaces and the
/// dash do not matter); `None` when it cannot be one.
pub fn normalize_recovery_code(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    (s.len() == RECOVERY_LEN && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

/// The stored form of a recovery code. Codes are random with about 50 bits
/// and every try is throttled, so a fast hash is enough (a slow one would
/// cost ten argon2 runs per try).
pub fn recovery_code_hash(normalized: &str) -> String {
    crate::auth::hash_token(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_the_neighbours_only() {
        let s = TotpSecret::generate();
        assert_eq!(s.as_str().len(), 32);
        let t = 1_800_000_000;
        let code = s.code_at(t);
        assert_eq!(code.len(), 6);
        assert_eq!(s.check(&code, t), Some(t / 30));
        assert_eq!(
            s.check(&code, t + 30),
            Some(t / 30),
            "one step late is fine"
        );
        assert_eq!(s.check(&code, t + 90), None);
        assert_eq!(
            s.check(&format!("{} {}", &code[..3], &code[3..]), t),
            Some(t / 30)
        );
        assert_eq!(s.check("abcdef", t), None);
    }

    #[test]
    fn rfc6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s.
        let s = TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(s.code_at(59), "287082");
        assert_eq!(s.code_at(1_111_111_109), "081804");
    }

    #[test]
    fn secrets_are_parsed_leniently_and_short_ones_refused() {
        let s = TotpSecret::generate();
        assert_eq!(
            TotpSecret::parse(&s.grouped().to_lowercase()),
            Some(s.clone())
        );
        assert!(TotpSecret::parse("GEZDGNBV").is_none(), "40 bits");
        assert!(TotpSecret::parse("not base32!").is_none());
        let url = s.url("zhang.san").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains(&format!("secret={}", s.as_str())));
        assert!(url.contains("issuer=Qingting"));
        assert!(!format!("{s:?}").contains(s.as_str()));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(c.len(), 11);
        let n = normalize_recovery_code(&format!(" {} ", c.to_uppercase())).unwrap();
        assert_eq!(n, c.replace('-', ""));
        assert!(normalize_recovery_code("123456").is_none());
        assert!(is_totp_code("123 456"));
        assert!(!is_totp_code(c));
    }
}
