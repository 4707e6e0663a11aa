//! Lists that page: the page number (and, where a list lets the reader choose,
//! the page size) of a list query, the arithmetic of pages, the query string a
//! pager link repeats, and the pager under a list page (`templates/_pager.html`,
//! included where the page has a `pager` field).

use super::{errors::urlencode, form};

/// The highest page a query may ask for, so an offset never overflows.
pub const MAX_PAGE: i64 = 1_000_000;

/// How many rows a page holds: `default`, or what `per_page` asks within `1..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize {
    pub default: i64,
    pub max: i64,
}

impl PageSize {
    /// A size the reader cannot change.
    pub const fn fixed(n: i64) -> PageSize {
        PageSize { default: n, max: n }
    }
}

/// One page of a list: its 1-based number and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    /// Reads `page` (1 when absent) and `per_page` (the default when absent),
    /// recording a bad value in `errs` like any other field of the query.
    pub fn read(
        errs: &mut form::Errors,
        page: &Option<String>,
        per_page: &Option<String>,
        size: PageSize,
    ) -> Paging {
        let page = errs
            .take(form::optional_int("page", page, 1, MAX_PAGE))
            .flatten()
            .unwrap_or(1);
        let size = errs
            .take(form::optional_int("per_page", per_page, 1, size.max))
            .flatten()
            .unwrap_or(size.default);
        Paging { page, size }
    }

    /// The rows to skip: those of the pages before.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.size
    }

    /// How many pages `total` rows fill.
    pub fn pages(self, total: i64) -> i64 {
        (total + self.size - 1) / self.size
    }

    /// The pager of this page over `total` rows; its links go to `path` with
    /// `query` (the list's filters, from [`query`]) after the page number.
    pub fn pager(self, total: i64, path: &str, query: &str) -> Pager {
        Pager {
            page: self.page,
            pages: self.pages(total),
            path: path.to_string(),
            query: query.to_string(),
        }
    }
}

/// The links to the previous and next pages of a list page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    path: String,
    query: String,
}

impl Pager {
    /// The link to `page` with the same filters.
    pub fn href(&self, page: i64) -> String {
        if self.query.is_empty() {
            format!("{}?page={page}", self.path)
        } else {
            format!("{}?page={page}&{}", self.path, self.query)
        }
    }
}

/// The filters a list was asked with, as a query string (empty ones left
/// out), for the pager's links and the page's own address.
pub fn query(fields: &[(&str, &Option<String>)]) -> String {
    fields
        .iter()
        .filter_map(|(k, v)| form::opt(v).map(|v| format!("{k}={}", urlencode(&v))))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_read_checked_and_turned_into_an_offset() {
        let size = PageSize {
            default: 30,
            max: 100,
        };
        let mut errs = form::Errors::default();
        let p = Paging::read(&mut errs, &None, &None, size);
        assert_eq!((p, p.offset()), (Paging { page: 1, size: 30 }, 0));
        let p = Paging::read(&mut errs, &Some("3".into()), &Some("50".into()), size);
        assert_eq!((p.offset(), p.pages(101)), (100, 3));
        assert!(errs.0.is_empty());
        Paging::read(&mut errs, &Some("0".into()), &Some("101".into()), size);
        Paging::read(&mut errs, &Some("x".into()), &None, PageSize::fixed(30));
        let got: Vec<(&str, &str)> = errs.0.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            got,
            [
                ("page", "err-out-of-range"),
                ("per_page", "err-out-of-range"),
                ("page", "err-not-a-number")
            ]
        );
        assert_eq!(Paging { page: 1, size: 30 }.pages(0), 0);
        assert_eq!(Paging { page: 1, size: 30 }.pages(30), 1);
    }

    #[test]
    fn pager_links_keep_the_filters() {
        let kind = Some("legal_aid".to_string());
        let q = query(&[
            ("kind", &kind),
            ("from", &None),
            ("q", &Some(" 食堂 ".into())),
        ]);
        assert_eq!(q, "kind=legal_aid&q=%E9%A3%9F%E5%A0%82");
        let pager = Paging { page: 2, size: 30 }.pager(61, "/services", &q);
        assert_eq!((pager.page, pager.pages), (2, 3));
        assert_eq!(
            pager.href(3),
            "/services?page=3&kind=legal_aid&q=%E9%A3%9F%E5%A0%82"
        );
        assert_eq!(
            Paging { page: 1, size: 30 }
                .pager(61, "/services", "")
                .href(2),
            "/services?page=2"
        );
    }
}
