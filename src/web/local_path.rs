//! Where a browser may be sent back to: a path on this site, never another.
//!
//! A `next` after login or a `back` after switching the language comes from
//! the request, so an attacker can choose it. Browsers are lenient with the
//! URL in a `Location` header: they strip tabs and newlines anywhere in it and
//! read `\` as `/`, so `/\tevil.example` or `/\evil.example` turns into
//! `//evil.example`, another site. And a header value with a newline in it
//! cannot be sent at all. So only a plain absolute path is accepted: one
//! leading `/` not followed by `/` or `\`, no backslash and no control
//! character anywhere, and none of these hidden behind percent escapes in the
//! path part either (for proxies that decode them).

/// `candidate` if it is a path on this site that is safe to redirect to.
pub fn same_origin_path(candidate: &str) -> Option<&str> {
    let path_part = candidate
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .as_bytes();
    (plain_path(candidate.as_bytes()) && plain_path(&percent_decoded(path_part)))
        .then_some(candidate)
}

/// The path to redirect to: `candidate` when it is safe, else the home page.
pub fn or_home(candidate: Option<&str>) -> String {
    candidate
        .and_then(same_origin_path)
        .unwrap_or("/")
        .to_string()
}

/// One leading slash, not two, no backslash, no control character.
fn plain_path(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !bytes.iter().any(|&b| b == b'\\' || b < 0x20 || b == 0x7f)
        && !String::from_utf8_lossy(bytes).chars().any(char::is_control)
}

/// `%XX` escapes decoded once; a `%` that does not start one is kept.
fn percent_decoded(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn hostile_targets_go_home() {
        for hostile in [
            "/\t/evil.example",
            "/%09/evil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/a\nb",
            "/a\rb",
            "/a\u{7f}b",
            "/a\u{85}b",
            "/\0",
            "https://evil.example",
            "//evil.example",
            "///evil.example",
            "/\\\\evil",
            "/%2F%2Fevil",
            "/%2f/evil",
            "/x/%0D%0ASet-Cookie:a=b",
            "javascript:alert(1)",
            "evil.example",
            "",
            " /",
        ] {
            assert_eq!(same_origin_path(hostile), None, "{hostile:?}");
            assert_eq!(or_home(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(or_home(None), "/");
    }

    #[test]
    fn paths_on_this_site_are_kept() {
        for good in [
            "/",
            "/login",
            "/problems?status=open&org=3",
            "/orgs?q=%E7%94%B2#top",
            "/reports/7?back=%2Fproblems%3Fx%3D1",
            "/problems?q=a%5Cb",
            "/a%20b/c",
            "/组织",
        ] {
            assert_eq!(same_origin_path(good), Some(good), "{good:?}");
            assert_eq!(or_home(Some(good)), good);
        }
    }

    proptest! {
        #[test]
        fn whatever_is_accepted_is_a_plain_local_path_a_header_can_carry(s in any::<String>()) {
            let out = or_home(Some(&s));
            prop_assert!(out == s || out == "/");
            let b = out.as_bytes();
            prop_assert_eq!(b[0], b'/');
            prop_assert!(!matches!(b.get(1), Some(b'/' | b'\\')));
            prop_assert!(!out.contains('\\'));
            prop_assert!(!out.chars().any(char::is_control));
            prop_assert!(HeaderValue::try_from(out.as_str()).is_ok());
        }

        #[test]
        fn hostile_looking_inputs_never_escape(
            prefix in "[/\\\\\t\r\n%09%5C%2F]{0,4}",
            rest in "[a-z./\\\\\t\r\n?%0-9A-F]{0,12}",
        ) {
            let s = format!("{prefix}{rest}");
            let out = or_home(Some(&s));
            let b = out.as_bytes();
            prop_assert_eq!(b[0], b'/');
            prop_assert!(!matches!(b.get(1), Some(b'/' | b'\\')));
            prop_assert!(!out.contains(['\\', '\t', '\r', '\n']));
            prop_assert!(HeaderValue::try_from(out.as_str()).is_ok());
        }

        #[test]
        fn ordinary_paths_and_queries_are_kept(
            segs in prop::collection::vec("[a-z0-9_-]{1,8}", 0..4),
            query in prop::option::of("[a-z]{1,5}=[a-z0-9%]{0,6}(&[a-z]{1,5}=[0-9]{1,3}){0,2}"),
        ) {
            let mut path = format!("/{}", segs.join("/"));
            if let Some(q) = query {
                path = format!("{path}?{q}");
            }
            prop_assert_eq!(same_origin_path(&path), Some(path.as_str()));
        }
    }
}
