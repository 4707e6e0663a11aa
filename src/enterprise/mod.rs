//! Enterprises and public institutions (企事业单位) that cadres visit: identified
//! by their unified social credit code, placed in an org's jurisdiction, maybe
//! covered by a grassroots union, maybe employing new-employment-form workers.
//!
//! [`EnterpriseInput::parse`], [`resolve_orgs`] and [`store::insert`] are shared by
//! the pages, the JSON API and the import module, so a row from a spreadsheet is
//! checked by exactly the same rules as a form.

pub mod api;
pub mod demo;
pub mod ops;
pub mod pages;
pub mod store;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    auth::Scope,
    db::{Db, EnterpriseId, OrgId},
    error::{AppError, FieldError},
    org::{OrgCode, OrgKind, Phone},
    web::{
        form::{self, Errors},
        list::{self, PageSize, Paging},
    },
};

/// The 31 characters a credit code may use (GB 32100-2015: no I, O, Z, S, V),
/// in the order of their values for the check character.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17: 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Codes of the registration authorities (登记管理部门) that issue credit codes:
/// 1 机构编制, 5 民政, 9 工商/市场监管, Y 其他, and those added since
/// (2–8, A–H, N).
const AUTHORITIES: &str = "123456789ABCDEFGHNY";

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

/// The check character of 17 characters of the alphabet.
fn check_char(first17: &[char]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    // 31 - (sum mod 31), where 31 itself stands for 0.
    let v = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(v as usize)
}

/// Full-width letters and digits (as Chinese input methods type them) become
/// ASCII; letters become upper-case.
fn normalise(raw: &str) -> Vec<char> {
    raw.trim()
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A unified social credit code (统一社会信用代码), checked per GB 32100-2015:
///
/// | positions | meaning |
/// |---|---|
/// | 1 | registration authority (1–9, A–H, N, Y) |
/// | 2 | organisation category under that authority |
/// | 3–8 | administrative division code (6 digits, GB/T 2260) |
/// | 9–17 | organisation code (GB 11714) |
/// | 18 | check character |
///
/// Only a value that passed [`CreditCode::parse`] can exist.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code as typed or read from a file: surrounding spaces, lower-case
    /// and full-width characters are forgiven. The error names the broken rule:
    /// `err-credit-length` (arg `len`), `err-credit-chars` (args `pos`, `char`),
    /// `err-credit-authority` (arg `char`), `err-credit-division` (arg `pos`) or
    /// `err-credit-check` (arg `expected`).
    pub fn parse(field: &str, raw: &str) -> Result<CreditCode, FieldError> {
        let chars = normalise(raw);
        if chars.len() != 18 {
            return Err(FieldError::new(field, "err-credit-length").arg("len", chars.len()));
        }
        if let Some((i, c)) = chars
            .iter()
            .enumerate()
            .find(|(_, c)| value_of(**c).is_none())
        {
            return Err(FieldError::new(field, "err-credit-chars")
                .arg("pos", i + 1)
                .arg("char", c));
        }
        if !AUTHORITIES.contains(chars[0]) {
            return Err(FieldError::new(field, "err-credit-authority").arg("char", chars[0]));
        }
        if let Some(i) = (2..8).find(|i| !chars[*i].is_ascii_digit()) {
            return Err(FieldError::new(field, "err-credit-division").arg("pos", i + 1));
        }
        // Every character is in the alphabet, so the check character exists.
        let expected = check_char(&chars[..17]).unwrap_or('0');
        if chars[17] != expected {
            return Err(FieldError::new(field, "err-credit-check").arg("expected", expected));
        }
        Ok(CreditCode(chars.into_iter().collect()))
    }

    /// Completes the first 17 characters with their check character; `None` when
    /// they are not 17 characters that a valid code could start with.
    pub fn with_check(first17: &str) -> Option<CreditCode> {
        let chars = normalise(first17);
        let check = check_char(&chars)?;
        let code: String = chars.into_iter().chain([check]).collect();
        CreditCode::parse("credit_code", &code).ok()
    }

    /// The code as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative division code (positions 3–8), e.g. 310110 for Yangpu.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The industries the forms suggest (free text is accepted too).
pub const INDUSTRIES: [&str; 10] = [
    "物流运输",
    "快递",
    "餐饮外卖",
    "制造业",
    "信息技术",
    "批发零售",
    "建筑业",
    "教育",
    "卫生",
    "金融",
];

/// A group of new-employment-form workers (新就业形态劳动者), as seed 002 names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerGroup {
    /// 货车司机.
    TruckDriver,
    /// 网约车司机.
    RideHailing,
    /// 快递员.
    Courier,
    /// 外卖配送员.
    FoodDelivery,
    /// 其他.
    Other,
}

impl WorkerGroup {
    /// Every group, in the order seed 002 names them.
    pub const ALL: [WorkerGroup; 5] = [
        WorkerGroup::TruckDriver,
        WorkerGroup::RideHailing,
        WorkerGroup::Courier,
        WorkerGroup::FoodDelivery,
        WorkerGroup::Other,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerGroup::TruckDriver => "truck_driver",
            WorkerGroup::RideHailing => "ride_hailing",
            WorkerGroup::Courier => "courier",
            WorkerGroup::FoodDelivery => "food_delivery",
            WorkerGroup::Other => "other",
        }
    }

    /// The Chinese name, as import files and exports write it.
    pub fn zh_name(self) -> &'static str {
        match self {
            WorkerGroup::TruckDriver => "货车司机",
            WorkerGroup::RideHailing => "网约车司机",
            WorkerGroup::Courier => "快递员",
            WorkerGroup::FoodDelivery => "外卖配送员",
            WorkerGroup::Other => "其他",
        }
    }

    /// Other names people write for the group.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            WorkerGroup::TruckDriver => &["货车驾驶员", "卡车司机", "货运司机"],
            WorkerGroup::RideHailing => &["网约车驾驶员", "网约车"],
            WorkerGroup::Courier => &["快递小哥", "快递员工"],
            WorkerGroup::FoodDelivery => &["外卖送餐员", "外卖骑手", "送餐员", "外卖员"],
            WorkerGroup::Other => &["其它"],
        }
    }

    /// Parses the stored spelling (any case) or a Chinese name.
    pub fn parse(s: &str) -> Option<WorkerGroup> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        WorkerGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == lower || g.zh_name() == s || g.aliases().contains(&s))
    }

    /// The catalogue key of the group's name.
    pub fn label_key(self) -> String {
        format!("group-{}", self.as_str())
    }
}

/// Parses a list of groups separated by commas (, ，), 、, semicolons, slashes
/// or spaces, given as codes or Chinese names; duplicates are dropped, the
/// order is kept. The error names the first unknown value (arg `value`).
pub fn parse_groups(field: &str, raw: &str) -> Result<Vec<WorkerGroup>, FieldError> {
    let mut out = Vec::new();
    for part in raw
        .split(|c: char| {
            matches!(c, ',' | '，' | '、' | ';' | '；' | '/' | '|') || c.is_whitespace()
        })
        .filter(|p| !p.is_empty())
    {
        let g = WorkerGroup::parse(part)
            .ok_or_else(|| FieldError::new(field, "err-group").arg("value", part))?;
        if !out.contains(&g) {
            out.push(g);
        }
    }
    Ok(out)
}

/// The stored form of a list of groups: codes joined by commas, `''` for none.
pub fn groups_code(groups: &[WorkerGroup]) -> String {
    groups
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// An enterprise as read: its jurisdiction and union resolved to names.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Enterprise {
    pub id: EnterpriseId,
    /// The org whose jurisdiction the enterprise is in.
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    pub name: String,
    pub credit_code: String,
    pub industry: Option<String>,
    pub address: Option<String>,
    pub employee_count: Option<i64>,
    /// New-employment-form groups the enterprise employs.
    pub groups: Vec<WorkerGroup>,
    /// Whether `groups` is non-empty.
    pub has_new_forms: bool,
    pub has_union: bool,
    /// The grassroots union covering the enterprise, when known.
    pub union_org_id: Option<OrgId>,
    pub union_org_code: Option<String>,
    pub union_org_name: Option<String>,
    pub contact_person: Option<String>,
    /// Masked (138****8000) unless the reader is a cadre or admin over the enterprise.
    pub contact_phone: Option<String>,
    /// Epoch seconds, UTC.
    pub created_at: i64,
    /// Epoch seconds, UTC.
    pub updated_at: i64,
}

impl Enterprise {
    /// A copy with the contact phone masked.
    pub fn masked(mut self) -> Self {
        self.contact_phone = self.contact_phone.as_deref().map(crate::org::mask_phone);
        self
    }

    /// The groups' Chinese names joined with 、 (for exports).
    pub fn groups_text(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.zh_name())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// An enterprise as submitted by a form, a JSON body or an import row: text,
/// unparsed. An empty string clears an optional field.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EnterpriseInput {
    #[serde(default, deserialize_with = "form::lenient")]
    pub name: Option<String>,
    /// 18 characters, GB 32100-2015; lower-case and surrounding spaces are forgiven.
    #[serde(default, deserialize_with = "form::lenient")]
    pub credit_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub industry: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub address: Option<String>,
    /// A whole number.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub employee_count: Option<String>,
    /// Groups separated by commas, 、 or semicolons (a JSON list also works):
    /// truck_driver, ride_hailing, courier, food_delivery, other, or the Chinese
    /// names 货车司机, 网约车司机, 快递员, 外卖配送员, 其他. Empty for none.
    #[serde(default, deserialize_with = "form::lenient")]
    pub new_form_groups: Option<String>,
    /// yes/no, 是/否, 有/无, 1/0, true/false. Implied by `union_org_code`.
    #[serde(default, deserialize_with = "form::lenient")]
    pub has_union: Option<String>,
    /// Code of the grassroots union that covers the enterprise.
    #[serde(default, deserialize_with = "form::lenient")]
    pub union_org_code: Option<String>,
    /// Code of the org whose jurisdiction the enterprise is in.
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub contact_person: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub contact_phone: Option<String>,
}

/// The parsed fields of an enterprise; the org codes are resolved by [`resolve_orgs`].
#[derive(Clone, Debug, PartialEq)]
pub struct EnterpriseFields {
    pub name: String,
    pub credit_code: CreditCode,
    pub industry: Option<String>,
    pub address: Option<String>,
    pub employee_count: Option<i64>,
    pub groups: Vec<WorkerGroup>,
    /// True whenever `union_org_code` is given.
    pub has_union: bool,
    /// Upper-case org code of the covering grassroots union.
    pub union_org_code: Option<String>,
    /// Upper-case org code of the jurisdiction.
    pub org_code: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<Phone>,
}

impl EnterpriseInput {
    /// Parses every field, reporting all problems at once
    /// (`AppError::Validation` with one `FieldError` per bad field).
    pub fn parse(&self) -> Result<EnterpriseFields, AppError> {
        let mut errs = Errors::default();
        let name = errs.take(form::required("name", &self.name, 120));
        let credit_code = match form::opt(&self.credit_code) {
            None => {
                errs.push(FieldError::new("credit_code", "err-required"));
                None
            }
            Some(c) => errs.take(CreditCode::parse("credit_code", &c)),
        };
        let industry = errs.take(form::optional("industry", &self.industry, 50));
        let address = errs.take(form::optional("address", &self.address, 200));
        let employee_count = errs.take(form::optional_int(
            "employee_count",
            &self.employee_count,
            0,
            10_000_000,
        ));
        let groups = errs.take(parse_groups(
            "new_form_groups",
            self.new_form_groups.as_deref().unwrap_or(""),
        ));
        let union_org_code = match form::opt(&self.union_org_code) {
            None => Some(None),
            Some(c) => errs
                .take(OrgCode::parse("union_org_code", &c))
                .map(|c| Some(c.as_str().to_string())),
        };
        let has_union = match form::flag(&self.has_union) {
            // A covering union means the enterprise has one, whatever the flag says.
            Ok(h) => Some(h || matches!(union_org_code, Some(Some(_)))),
            Err(_) => {
                errs.push(FieldError::new("has_union", "err-flag"));
                None
            }
        };
        let org_code = errs
            .take(OrgCode::parse(
                "org_code",
                self.org_code.as_deref().unwrap_or(""),
            ))
            .map(|c| c.as_str().to_string());
        let contact_person = errs.take(form::optional("contact_person", &self.contact_person, 50));
        let contact_phone = match form::opt(&self.contact_phone) {
            None => Some(None),
            Some(p) => errs.take(Phone::parse("contact_phone", &p)).map(Some),
        };
        errs.finish()?;
        // Every `None` above recorded an error, so `finish` has returned already.
        match (
            name,
            credit_code,
            industry,
            address,
            employee_count,
            groups,
            has_union,
            union_org_code,
            org_code,
            contact_person,
            contact_phone,
        ) {
            (
                Some(name),
                Some(credit_code),
                Some(industry),
                Some(address),
                Some(employee_count),
                Some(groups),
                Some(has_union),
                Some(union_org_code),
                Some(org_code),
                Some(contact_person),
                Some(contact_phone),
            ) => Ok(EnterpriseFields {
                name,
                credit_code,
                industry,
                address,
                employee_count,
                groups,
                has_union,
                union_org_code,
                org_code,
                contact_person,
                contact_phone,
            }),
            _ => Err(AppError::BadRequest("unparsed enterprise field")),
        }
    }

    /// The input that edits `e` as it is now (pass it unmasked).
    pub fn from_enterprise(e: &Enterprise) -> Self {
        EnterpriseInput {
            name: Some(e.name.clone()),
            credit_code: Some(e.credit_code.clone()),
            industry: e.industry.clone(),
            address: e.address.clone(),
            employee_count: e.employee_count.map(|n| n.to_string()),
            new_form_groups: Some(groups_code(&e.groups)),
            has_union: Some(if e.has_union { "1" } else { "0" }.into()),
            union_org_code: e.union_org_code.clone(),
            org_code: Some(e.org_code.clone()),
            contact_person: e.contact_person.clone(),
            contact_phone: e.contact_phone.clone(),
        }
    }

    /// PATCH: the fields `self` gives replace those of `base`.
    pub fn over(self, base: EnterpriseInput) -> EnterpriseInput {
        EnterpriseInput {
            name: self.name.or(base.name),
            credit_code: self.credit_code.or(base.credit_code),
            industry: self.industry.or(base.industry),
            address: self.address.or(base.address),
            employee_count: self.employee_count.or(base.employee_count),
            new_form_groups: self.new_form_groups.or(base.new_form_groups),
            has_union: self.has_union.or(base.has_union),
            union_org_code: self.union_org_code.or(base.union_org_code),
            org_code: self.org_code.or(base.org_code),
            contact_person: self.contact_person.or(base.contact_person),
            contact_phone: self.contact_phone.or(base.contact_phone),
        }
    }
}

/// Rows per page, in the list page and the list API.
pub const PAGE_SIZE: PageSize = PageSize::fixed(50);

/// Query of the list page and the list API. Empty values do not filter.
#[derive(Deserialize, Default, Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Part of the name (two Chinese characters are enough) or the start of the credit code.
    pub q: Option<String>,
    /// Only enterprises in this org's subtree (an org id in the caller's scope).
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// `yes`: with a union; `no`: without.
    pub union: Option<String>,
    /// `yes`: employing new-employment-form workers; `no`: not.
    pub new_forms: Option<String>,
    /// Employing this group: truck_driver, ride_hailing, courier, food_delivery or other
    /// (`any` and `none` mean new_forms=yes / no).
    pub group: Option<String>,
    /// Exactly this industry.
    pub industry: Option<String>,
    /// 1-based page of 50.
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

/// A yes/no filter: `None` when absent or empty.
fn yes_no(field: &str, s: &Option<String>, errs: &mut Errors) -> Option<bool> {
    form::opt(s)?;
    match form::flag(s) {
        Ok(b) => Some(b),
        Err(_) => {
            errs.push(FieldError::new(field, "err-flag"));
            None
        }
    }
}

impl ListParams {
    /// The filter and the page, every bad parameter reported.
    pub fn parse(&self) -> Result<(store::EnterpriseFilter, Paging), AppError> {
        let mut errs = Errors::default();
        let org = match form::opt(&self.org) {
            None => None,
            Some(o) => match o.parse::<i64>() {
                Ok(id) => Some(OrgId(id)),
                Err(_) => {
                    errs.push(FieldError::new("org", "err-not-a-number"));
                    None
                }
            },
        };
        let union = yes_no("union", &self.union, &mut errs);
        let mut new_forms = yes_no("new_forms", &self.new_forms, &mut errs);
        let group = match form::opt(&self.group).as_deref() {
            None => None,
            Some("any") => {
                new_forms = Some(true);
                None
            }
            Some("none") => {
                new_forms = Some(false);
                None
            }
            Some(g) => match WorkerGroup::parse(g) {
                Some(g) => Some(g),
                None => {
                    errs.push(FieldError::new("group", "err-group").arg("value", g));
                    None
                }
            },
        };
        let paging = Paging::read(&mut errs, &self.page, &None, PAGE_SIZE);
        errs.finish()?;
        let filter = store::EnterpriseFilter {
            q: form::opt(&self.q),
            org,
            union,
            new_forms,
            group,
            industry: form::opt(&self.industry),
        };
        Ok((filter, paging))
    }

    /// The query string that repeats these filters (for pager links), without `page`.
    pub fn query(&self) -> String {
        list::query(&[
            ("q", &self.q),
            ("org", &self.org),
            ("union", &self.union),
            ("new_forms", &self.new_forms),
            ("group", &self.group),
            ("industry", &self.industry),
        ])
    }
}

/// A page of enterprises and the counts of the whole match.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EnterprisePage {
    pub items: Vec<Enterprise>,
    /// How many enterprises match (all pages).
    pub total: i64,
    pub without_union: i64,
    pub with_new_forms: i64,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
}

/// Resolves the jurisdiction (`org_code`) and the covering union
/// (`union_org_code`) inside `scope_write`, the caller's write scope. Errors
/// name the field: `err-org-out-of-scope` when a code is unknown or out of
/// reach, `err-union-kind` when the union is not a grassroots union.
pub async fn resolve_orgs(
    db: &Db,
    scope_write: &Scope,
    fields: &EnterpriseFields,
) -> Result<(OrgId, Option<OrgId>), AppError> {
    let mut errs = Errors::default();
    let org = crate::org::store::get_by_code(db, scope_write, &fields.org_code).await?;
    if org.is_none() {
        errs.push(FieldError::new("org_code", "err-org-out-of-scope"));
    }
    let mut union = None;
    if let Some(code) = &fields.union_org_code {
        match crate::org::store::get_by_code(db, scope_write, code).await? {
            None => errs.push(FieldError::new("union_org_code", "err-org-out-of-scope")),
            Some(u) if u.kind != OrgKind::Grassroots => {
                errs.push(FieldError::new("union_org_code", "err-union-kind"));
            }
            Some(u) => union = Some(u.id),
        }
    }
    errs.finish()?;
    match org {
        Some(org) => Ok((org.id, union)),
        None => Err(AppError::field("org_code", "err-org-out-of-scope")),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        let q: String = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::web::errors::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded_from(&q)
    }

    fn serde_urlencoded_from(q: &str) -> ListParams {
        let uri: axum::http::Uri = format!("/enterprises?{q}").parse().unwrap();
        crate::web::Query::<ListParams>::try_from_uri(&uri)
            .unwrap()
            .0
    }

    #[test]
    fn empty_parameters_do_not_filter() {
        let p = serde_urlencoded_from("q=&org=&union=&new_forms=&group=&industry=&page=");
        let (f, page) = p.parse().unwrap();
        assert_eq!(f, store::EnterpriseFilter::default());
        assert_eq!(page.page, 1);
        assert_eq!(p.query(), "");
    }

    #[test]
    fn parameters_become_a_filter_and_a_query_string() {
        let p = params(&[
            ("q", " 物流 "),
            ("org", "7"),
            ("union", "no"),
            ("group", "courier"),
            ("industry", "快递"),
            ("page", "3"),
        ]);
        let (f, page) = p.parse().unwrap();
        assert_eq!(f.q.as_deref(), Some("物流"));
        assert_eq!(f.org, Some(OrgId(7)));
        assert_eq!(f.union, Some(false));
        assert_eq!(f.group, Some(WorkerGroup::Courier));
        assert_eq!(f.industry.as_deref(), Some("快递"));
        assert_eq!(page.page, 3);
        assert_eq!(
            p.query(),
            "q=%E7%89%A9%E6%B5%81&org=7&union=no&group=courier&industry=%E5%BF%AB%E9%80%92"
        );
        let (f, _) = params(&[("group", "any")]).parse().unwrap();
        assert_eq!((f.new_forms, f.group), (Some(true), None));
        let (f, _) = params(&[("new_forms", "false")]).parse().unwrap();
        assert_eq!(f.new_forms, Some(false));
    }

    #[test]
    fn bad_parameters_are_all_reported() {
        let p = params(&[
            ("org", "x"),
            ("union", "maybe"),
            ("group", "pilots"),
            ("page", "0"),
        ]);
        let Err(AppError::Validation(errs)) = p.parse() else {
            panic!()
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["org", "union", "group", "page"]);
    }

    fn key(s: &str) -> &'static str {
        CreditCode::parse("c", s).unwrap_err().key
    }

    #[test]
    fn real_world_codes_pass() {
        // Check characters cross-checked with python-stdnum 2.x:
        // `from stdnum.cn import uscc; uscc.calc_check_digit(first17)`.
        for code in [
            // Published codes of two large companies (Shenzhen, Hangzhou).
            "91440300708461136T",
            "91330100799655058B",
            // Codes in the Yangpu (310110) and national formats.
            "91310110MA1G8XXX2B",
            "91110000100000589A",
            "12100000400000624D",
            "913100006072015885",
            "52310110MJ4943168E",
            "91310110132270325C",
            "123101104250122839",
        ] {
            assert!(CreditCode::parse("c", code).is_ok(), "{code}");
            assert_eq!(
                CreditCode::with_check(&code[..17]).unwrap().as_str(),
                code,
                "{code}"
            );
        }
        // stdnum wants digits in positions 1–2; the standard also allows letters there.
        assert!(CreditCode::parse("c", "Y1310110MA1FL3KP6H").is_ok());
        assert_eq!(
            CreditCode::with_check("91310110MA1G8XXX2")
                .unwrap()
                .division(),
            "310110"
        );
    }

    #[test]
    fn case_spaces_and_full_width_are_forgiven() {
        let want = CreditCode::parse("c", "91310110MA1G8XXX2B").unwrap();
        assert_eq!(
            CreditCode::parse("c", " 91310110ma1g8xxx2b\t").unwrap(),
            want
        );
        assert_eq!(
            CreditCode::parse("c", "　９１３１０１１０ＭＡ１Ｇ８ＸＸＸ２Ｂ　").unwrap(),
            want
        );
    }

    #[test]
    fn each_broken_rule_has_its_own_message() {
        let e = CreditCode::parse("c", "9131011").unwrap_err();
        assert_eq!(e.key, "err-credit-length");
        assert_eq!(e.args, vec![("len", "7".to_string())]);
        assert_eq!(key("91310110MA1G8XXX2BB"), "err-credit-length");
        assert_eq!(key(""), "err-credit-length");
        let e = CreditCode::parse("c", "91310110MA1G8XXXIB").unwrap_err();
        assert_eq!(e.key, "err-credit-chars");
        assert_eq!(
            e.args,
            vec![("pos", "17".to_string()), ("char", "I".to_string())]
        );
        for bad in ['O', 'Z', 'S', 'V', '-', '中'] {
            let code = format!("91310110MA1G8X{bad}X2B");
            let e = CreditCode::parse("c", &code).unwrap_err();
            assert_eq!(e.key, "err-credit-chars", "{code}");
            assert_eq!(e.args[0], ("pos", "15".to_string()));
        }
        let e = CreditCode::parse("c", "J1310110MA1G8XXX2B").unwrap_err();
        assert_eq!(e.key, "err-credit-authority");
        assert_eq!(e.args, vec![("char", "J".to_string())]);
        let e = CreditCode::parse("c", "9131A110MA1G8XXX2B").unwrap_err();
        assert_eq!(e.key, "err-credit-division");
        assert_eq!(e.args, vec![("pos", "5".to_string())]);
        let e = CreditCode::parse("c", "91310110MA1G8XXX2A").unwrap_err();
        assert_eq!(e.key, "err-credit-check");
        assert_eq!(e.args, vec![("expected", "B".to_string())]);
        // Two neighbours swapped (a common typo) are caught by the check character.
        assert_eq!(key("91310110AM1G8XXX2B"), "err-credit-check");
    }

    #[test]
    fn with_check_refuses_what_cannot_start_a_code() {
        assert!(CreditCode::with_check("9131011").is_none());
        assert!(CreditCode::with_check("91310110MA1G8XXX2B").is_none());
        assert!(CreditCode::with_check("9131011OMA1G8XXX2").is_none());
        assert!(CreditCode::with_check("Z1310110MA1G8XXX2").is_none());
        assert!(CreditCode::with_check("913A0110MA1G8XXX2").is_none());
    }

    #[test]
    fn groups_parse_from_codes_and_chinese_names() {
        assert_eq!(
            parse_groups("g", "courier、外卖配送员, COURIER；货车司机").unwrap(),
            vec![
                WorkerGroup::Courier,
                WorkerGroup::FoodDelivery,
                WorkerGroup::TruckDriver
            ]
        );
        assert_eq!(
            parse_groups("g", "外卖送餐员 网约车司机").unwrap(),
            vec![WorkerGroup::FoodDelivery, WorkerGroup::RideHailing]
        );
        let e = parse_groups("g", "courier,pilots").unwrap_err();
        assert_eq!(e.key, "err-group");
        assert_eq!(e.args, vec![("value", "pilots".to_string())]);
        assert_eq!(parse_groups("g", " ").unwrap(), vec![]);
        for g in WorkerGroup::ALL {
            assert_eq!(WorkerGroup::parse(g.as_str()), Some(g));
            assert_eq!(WorkerGroup::parse(g.zh_name()), Some(g));
        }
        assert_eq!(
            groups_code(&[WorkerGroup::Courier, WorkerGroup::Other]),
            "courier,other"
        );
    }

    fn good_input() -> EnterpriseInput {
        EnterpriseInput {
            name: Some(" 上海速达物流有限公司 ".into()),
            credit_code: Some("91310110ma1g8xxx2b".into()),
            industry: Some("物流运输".into()),
            employee_count: Some("1,200".into()),
            new_form_groups: Some("货车司机、courier".into()),
            has_union: Some("否".into()),
            union_org_code: Some("yp-jc-0001".into()),
            org_code: Some("yp-jd-dhl".into()),
            contact_phone: Some("138 0013 8000".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_input_parses_and_a_union_code_implies_a_union() {
        let f = good_input().parse().unwrap();
        assert_eq!(f.name, "上海速达物流有限公司");
        assert_eq!(f.credit_code.as_str(), "91310110MA1G8XXX2B");
        assert_eq!(f.employee_count, Some(1200));
        assert_eq!(
            f.groups,
            vec![WorkerGroup::TruckDriver, WorkerGroup::Courier]
        );
        assert!(f.has_union, "a covering union implies has_union");
        assert_eq!(f.union_org_code.as_deref(), Some("YP-JC-0001"));
        assert_eq!(f.org_code, "YP-JD-DHL");
        assert_eq!(f.contact_phone.unwrap().as_str(), "13800138000");
        let f = EnterpriseInput {
            union_org_code: Some(" ".into()),
            ..good_input()
        }
        .parse()
        .unwrap();
        assert!(!f.has_union);
        assert_eq!(f.union_org_code, None);
    }

    #[test]
    fn an_enterprise_input_reports_every_bad_field() {
        let input = EnterpriseInput {
            credit_code: Some("91310110MA1G8XXX2A".into()),
            employee_count: Some("many".into()),
            new_form_groups: Some("pilots".into()),
            has_union: Some("perhaps".into()),
            union_org_code: Some("a b".into()),
            contact_phone: Some("12345".into()),
            ..Default::default()
        };
        let AppError::Validation(errs) = input.parse().unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            fields,
            [
                ("name", "err-required"),
                ("credit_code", "err-credit-check"),
                ("employee_count", "err-not-a-number"),
                ("new_form_groups", "err-group"),
                ("union_org_code", "err-code-chars"),
                ("has_union", "err-flag"),
                ("org_code", "err-required"),
                ("contact_phone", "err-phone"),
            ]
        );
        let AppError::Validation(errs) = EnterpriseInput::default().parse().unwrap_err() else {
            panic!()
        };
        assert_eq!(errs[1].field, "credit_code");
        assert_eq!(
            errs[1].key, "err-required",
            "an empty code is missing, not short"
        );
    }

    #[test]
    fn json_clients_may_send_numbers_booleans_and_lists() {
        let input: EnterpriseInput = serde_json::from_value(serde_json::json!({
            "name": "甲", "employee_count": 120, "has_union": true,
            "new_form_groups": ["courier", "外卖配送员"], "industry": null
        }))
        .unwrap();
        assert_eq!(input.employee_count.as_deref(), Some("120"));
        assert_eq!(input.has_union.as_deref(), Some("1"));
        assert_eq!(input.new_form_groups.as_deref(), Some("courier,外卖配送员"));
        assert_eq!(input.industry, None);
        assert_eq!(input.credit_code, None);
        assert!(
            serde_json::from_value::<EnterpriseInput>(serde_json::json!({"name": {"a": 1}}))
                .is_err()
        );
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_mention() {
        let base = good_input();
        let patched = EnterpriseInput {
            name: Some("新名".into()),
            contact_phone: Some(String::new()),
            ..Default::default()
        }
        .over(base.clone());
        assert_eq!(patched.name.as_deref(), Some("新名"));
        assert_eq!(patched.credit_code, base.credit_code);
        assert_eq!(patched.contact_phone.as_deref(), Some(""), "empty clears");
    }

    /// 17 characters a valid code may start with: an authority, a category, six
    /// division digits and nine organisation-code characters.
    fn valid_first17() -> impl Strategy<Value = String> {
        let ch = proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>());
        let authority = proptest::sample::select(AUTHORITIES.chars().collect::<Vec<_>>());
        (
            authority,
            ch.clone(),
            proptest::collection::vec(0u8..10, 6),
            proptest::collection::vec(ch, 9),
        )
            .prop_map(|(a, b, d, rest)| {
                let mut s = String::from(a);
                s.push(b);
                s.extend(d.into_iter().map(|x| char::from(b'0' + x)));
                s.extend(rest);
                s
            })
    }

    proptest! {
        #[test]
        fn generated_codes_pass(first in valid_first17(), lower in any::<bool>()) {
            let code = CreditCode::with_check(&first).unwrap();
            prop_assert_eq!(&code.as_str()[..17], first.as_str());
            let typed = if lower { code.as_str().to_ascii_lowercase() } else { code.as_str().to_string() };
            prop_assert_eq!(CreditCode::parse("c", &format!(" {typed} ")).unwrap(), code);
        }

        #[test]
        fn any_single_character_change_is_caught(first in valid_first17(), pos in 0usize..18, sub in 0usize..31) {
            let code = CreditCode::with_check(&first).unwrap().as_str().to_string();
            let mut chars: Vec<char> = code.chars().collect();
            let replacement = ALPHABET.chars().nth(sub).unwrap();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse("c", &changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn parsing_never_panics(raw in "\\PC{0,24}") {
            let _ = CreditCode::parse("c", &raw);
        }
    }
}

#[cfg(test)]
mod catalogue_tests {
    use super::WorkerGroup;
    use crate::i18n::Lang;

    #[test]
    fn every_group_and_field_has_a_name_in_both_languages() {
        let fields = [
            "name",
            "credit_code",
            "industry",
            "address",
            "employee_count",
            "new_form_groups",
            "has_union",
            "union_org_code",
            "org_code",
            "contact_person",
            "contact_phone",
            "org",
            "union",
            "new_forms",
            "group",
            "page",
        ];
        for lang in [Lang::Zh, Lang::En] {
            for g in WorkerGroup::ALL {
                assert!(lang.has(&g.label_key()), "{}", g.label_key());
            }
            for f in fields {
                assert!(lang.has(&format!("field-{f}")), "field-{f}");
            }
        }
    }
}
