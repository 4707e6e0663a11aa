//! Message catalogues (Fluent, `locales/<lang>/*.ftl`), the user's language,
//! and the Chinese-aware helpers for sorting and showing dates and numbers.

use std::{borrow::Cow, collections::HashMap, sync::LazyLock};

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue};
use serde::{Deserialize, Serialize};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Isolation marks would show up as stray characters in HTML inputs and CSV.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH: LazyLock<LanguageIdentifier> = LazyLock::new(|| "zh-CN".parse().unwrap());
static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| "en".parse().unwrap());

/// A language the interface is offered in; Chinese first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Every language offered.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag, also used as the folder name of the catalogue.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a tag such as `zh-CN`, `zh`, `en-US`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Lang::Zh)
        } else if tag.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::from_tag(part.split(';').next().unwrap_or("")))
            .next()
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The message for `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message for `key` with named arguments.
    pub fn ta(self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_string()), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// Whether the catalogue of this language has `key` (used by the catalogue test).
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(self.id(), key).is_some()
    }

    /// A UTC epoch-second timestamp shown in China Standard Time (no daylight saving).
    pub fn datetime(self, ts: i64) -> String {
        let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        match chrono::DateTime::from_timestamp(ts, 0) {
            Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            None => String::new(),
        }
    }

    /// A calendar day as the language writes it: 2021年6月22日 or 2021-06-22.
    pub fn day(self, d: crate::date::Day) -> String {
        match self {
            Lang::Zh => d.zh(),
            Lang::En => d.iso(),
        }
    }

    /// A count with thousands separators, as both languages write them (12,345).
    pub fn number(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        if n < 0 { format!("-{out}") } else { out }
    }
}

/// The key names stored and sorted by: the pinyin of each Chinese character,
/// other characters lower-cased, so 安徽 < 北京 < 重庆 regardless of code points.
pub fn sort_key(name: &str) -> String {
    use pinyin::ToPinyin;
    let mut key = String::with_capacity(name.len() * 3);
    for ch in name.chars() {
        match ch.to_pinyin() {
            Some(p) => {
                key.push_str(p.plain());
                key.push(' ');
            }
            None => key.extend(ch.to_lowercase()),
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_sorts_chinese_names_the_way_readers_expect() {
        let mut names = vec!["杨浦区总工会", "安徽工作组", "北京", "Zeta", "成都"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(
            names,
            ["安徽工作组", "北京", "成都", "杨浦区总工会", "Zeta"]
        );
        // Polyphones take their most common reading (长江 sorts as "zhang"), which is
        // why the display order set by admins comes before pinyin.
    }

    #[test]
    fn accept_language_picks_the_first_supported() {
        assert_eq!(
            Lang::from_accept_language("fr, en-US;q=0.8, zh;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("fr"), None);
    }

    #[test]
    fn numbers_and_times_are_shown_for_chinese_readers() {
        assert_eq!(Lang::Zh.number(19724), "19,724");
        assert_eq!(Lang::Zh.number(-1000000), "-1,000,000");
        // 2019-11-14T16:00:00Z is midnight of 15 November in Shanghai.
        assert_eq!(Lang::Zh.datetime(1_573_747_200), "2019-11-15 00:00");
    }

    fn catalogue_keys(lang: &str) -> std::collections::BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut keys = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((key, _)) = line.split_once(" =")
                    && !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    assert!(
                        keys.insert(key.to_string()),
                        "{key} defined twice in {lang}"
                    );
                }
            }
        }
        keys
    }

    /// Every literal key used by templates and code, found by scanning the sources.
    fn used_keys() -> std::collections::BTreeSet<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(&root.join("src"), &mut files);
        walk(&root.join("templates"), &mut files);
        let mut keys = std::collections::BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for pat in [
                "t(\"",
                "t1(\"",
                "ta(\"",
                "FieldError::new(\"",
                "AppError::field(\"",
            ] {
                for (i, _) in text.match_indices(pat) {
                    let method_call = pat.starts_with('t') && text[..i].ends_with('.');
                    let constructor = !pat.starts_with('t');
                    if !(method_call || constructor) {
                        continue;
                    }
                    let rest = &text[i + pat.len()..];
                    // For constructors the message key is the second string literal.
                    let rest = if pat.starts_with("FieldError") || pat.starts_with("AppError") {
                        // Only when the key literal is the call's own second argument.
                        match rest.split_once(", \"") {
                            Some((first, r)) if !first.contains([')', '\n']) => r,
                            _ => continue,
                        }
                    } else {
                        rest
                    };
                    if let Some(end) = rest.find('"') {
                        let key = &rest[..end];
                        if !key.is_empty()
                            && key.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                            })
                        {
                            keys.insert(key.to_string());
                        }
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn both_catalogues_have_the_same_keys_and_every_used_key() {
        let zh = catalogue_keys("zh-CN");
        let en = catalogue_keys("en");
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");
        assert!(only_en.is_empty(), "missing in zh-CN: {only_en:?}");
        let used = used_keys();
        assert!(used.len() > 50, "the scan found too few keys: {used:?}");
        let missing: Vec<_> = used.iter().filter(|k| !zh.contains(*k)).collect();
        assert!(
            missing.is_empty(),
            "used but not in the catalogues: {missing:?}"
        );
        // Keys built at run time from enums.
        for k in crate::org::OrgKind::ALL {
            assert!(zh.contains(&k.label_key()), "{}", k.label_key());
        }
        for r in crate::auth::Role::ALL {
            assert!(zh.contains(&format!("role-{r}")));
        }
        for a in crate::audit::Action::ALL {
            assert!(
                zh.contains(&format!("audit-{}", a.as_str())),
                "audit-{}",
                a.as_str()
            );
        }
        for k in crate::auth::session::device_names() {
            assert!(zh.contains(&format!("ua-{k}")), "ua-{k}");
        }
        for k in crate::survey::builder::SCRIPT_TEXTS {
            assert!(zh.contains(&format!("builder-{k}")), "builder-{k}");
        }
        for code in crate::error::AppError::CODES {
            assert!(zh.contains(&format!("error-{code}")), "error-{code}");
        }
    }

    #[test]
    fn both_languages_load() {
        assert_eq!(Lang::Zh.t("nav-home"), "工作台");
        assert_eq!(Lang::En.t("nav-home"), "Workbench");
        assert!(Lang::En.has("nav-home"));
        assert_eq!(
            Lang::En.ta(
                "err-too-long",
                &[("field", "Name".into()), ("max", "5".into())]
            ),
            "\"Name\" takes at most 5 characters."
        );
    }
}
