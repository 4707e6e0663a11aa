//! The organisation tree: federations, their departments, industry / street /
//! direct unions and grassroots unions, to any depth. Every record in Qingting
//! belongs to an org, and every role reaches one org's subtree.

pub mod api;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    db::OrgId,
    error::{AppError, FieldError},
    web::form::{self, Errors},
};

/// What kind of body an org is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    /// 总工会: top of a deployment's tree.
    Federation,
    /// 机关部室: an office inside a federation.
    Department,
    /// 行业工会.
    Industry,
    /// 街道工会.
    Street,
    /// 直属工会.
    Direct,
    /// 基层工会: the union of one enterprise, building or park.
    Grassroots,
}

impl OrgKind {
    /// Every kind, in the order the federation lists them.
    pub const ALL: [OrgKind; 6] = [
        OrgKind::Federation,
        OrgKind::Department,
        OrgKind::Industry,
        OrgKind::Street,
        OrgKind::Direct,
        OrgKind::Grassroots,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Federation => "federation",
            OrgKind::Department => "department",
            OrgKind::Industry => "industry",
            OrgKind::Street => "street",
            OrgKind::Direct => "direct",
            OrgKind::Grassroots => "grassroots",
        }
    }

    /// Parses the stored spelling or the Chinese name used in import files.
    pub fn parse(s: &str) -> Option<OrgKind> {
        let s = s.trim();
        OrgKind::ALL.into_iter().find(|k| {
            k.as_str() == s
                || k.zh_name() == s
                || (s.ends_with("工会") && k.zh_name().starts_with(s.trim_end_matches("工会")))
        })
    }

    /// The Chinese name, as import files and the official forms write it.
    pub fn zh_name(self) -> &'static str {
        match self {
            OrgKind::Federation => "总工会",
            OrgKind::Department => "机关部室",
            OrgKind::Industry => "行业工会",
            OrgKind::Street => "街道工会",
            OrgKind::Direct => "直属工会",
            OrgKind::Grassroots => "基层工会",
        }
    }

    /// The catalogue key of the kind's name.
    pub fn label_key(self) -> String {
        format!("org-kind-{}", self.as_str())
    }

    /// Whether an org of this kind may sit under a parent of kind `parent`.
    /// Departments are offices of a federation; a federation sits only under another.
    pub fn may_sit_under(self, parent: Option<OrgKind>) -> bool {
        match (self, parent) {
            (OrgKind::Federation, None | Some(OrgKind::Federation)) => true,
            (OrgKind::Federation, Some(_)) => false,
            (OrgKind::Department, Some(OrgKind::Federation)) => true,
            (OrgKind::Department, _) => false,
            (_, None) => false,
            (_, Some(OrgKind::Department)) => false,
            (_, Some(_)) => true,
        }
    }
}

/// An org's unique code: letters, digits, `-` and `_`, stored upper-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct OrgCode(String);

impl OrgCode {
    /// Parses a code typed by a person or read from a file.
    pub fn parse(field: &str, raw: &str) -> Result<OrgCode, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(FieldError::new(field, "err-required"));
        }
        if code.len() > 32 {
            return Err(FieldError::new(field, "err-too-long").arg("max", 32));
        }
        if !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(FieldError::new(field, "err-code-chars"));
        }
        Ok(OrgCode(code))
    }

    /// The code as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: mobile (11 digits starting with 1) or landline with optional
/// area code and extension, as Chinese offices write them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number; spaces are dropped, `-` kept.
    pub fn parse(field: &str, raw: &str) -> Result<Phone, FieldError> {
        let p: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let p = p.trim_start_matches("+86").to_string();
        let digits = p.chars().filter(char::is_ascii_digit).count();
        let ok_chars = p.chars().all(|c| c.is_ascii_digit() || c == '-');
        if !ok_chars || !(7..=16).contains(&digits) || p.starts_with('-') || p.ends_with('-') {
            return Err(FieldError::new(field, "err-phone"));
        }
        if digits == 11
            && p.starts_with('1')
            && !p.contains('-')
            && !p[1..2].chars().all(|c| ('3'..='9').contains(&c))
        {
            return Err(FieldError::new(field, "err-phone"));
        }
        Ok(Phone(p))
    }

    /// The number as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Masks a phone number for readers whose role does not need it: 138****5678.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep_head = if chars.len() >= 11 { 3 } else { 2 };
    let head: String = chars[..keep_head].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - keep_head - 4))
}

/// A stored org.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: OrgId,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub parent_id: Option<OrgId>,
    pub contact_person: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub display_order: i64,
    pub active: bool,
}

impl Org {
    /// The name to show in lists: the short name when there is one.
    pub fn label(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.name)
    }

    /// A copy with the contact phone masked.
    pub fn masked(mut self) -> Self {
        self.phone = self.phone.as_deref().map(mask_phone);
        self
    }
}

/// An org as submitted by a form, a JSON body or an import row: text, unparsed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct OrgInput {
    #[serde(default, deserialize_with = "form::lenient")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub short_name: Option<String>,
    /// federation, department, industry, street, direct or grassroots.
    #[serde(default, deserialize_with = "form::lenient")]
    pub kind: Option<String>,
    /// The parent's code (only when creating).
    #[serde(default, deserialize_with = "form::lenient")]
    pub parent_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub contact_person: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub address: Option<String>,
    /// Where the org comes among its siblings (a whole number).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub display_order: Option<String>,
}

/// The fields of an org after parsing; the parent is resolved separately.
#[derive(Clone, Debug, PartialEq)]
pub struct OrgFields {
    pub code: OrgCode,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: OrgKind,
    pub contact_person: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub display_order: i64,
}

impl OrgInput {
    /// Parses every field, reporting all problems at once.
    pub fn parse(&self) -> Result<OrgFields, AppError> {
        let mut errs = Errors::default();
        let code = errs.take(OrgCode::parse("code", self.code.as_deref().unwrap_or("")));
        let name = errs.take(form::required("name", &self.name, 100));
        let short_name = errs.take(form::optional("short_name", &self.short_name, 50));
        let kind = match form::opt(&self.kind) {
            None => {
                errs.push(FieldError::new("kind", "err-required"));
                None
            }
            Some(k) => match OrgKind::parse(&k) {
                Some(k) => Some(k),
                None => {
                    let codes: Vec<&str> = OrgKind::ALL.iter().map(|k| k.as_str()).collect();
                    errs.push(
                        FieldError::new("kind", "err-org-kind-code")
                            .arg("allowed", codes.join(", ")),
                    );
                    None
                }
            },
        };
        let contact_person = errs.take(form::optional("contact_person", &self.contact_person, 50));
        let phone = match form::opt(&self.phone) {
            None => Some(None),
            Some(p) => errs.take(Phone::parse("phone", &p)).map(Some),
        };
        let email = match form::opt(&self.email) {
            None => Some(None),
            Some(e) => errs.take(parse_email("email", &e)).map(Some),
        };
        let address = errs.take(form::optional("address", &self.address, 200));
        let display_order = errs
            .take(form::optional_int(
                "display_order",
                &self.display_order,
                -1_000_000,
                1_000_000,
            ))
            .map(|o| o.unwrap_or(0));
        errs.finish()?;
        // Every `None` above recorded an error, so `finish` has returned already.
        match (
            code,
            name,
            short_name,
            kind,
            contact_person,
            phone,
            email,
            address,
            display_order,
        ) {
            (
                Some(code),
                Some(name),
                Some(short_name),
                Some(kind),
                Some(contact_person),
                Some(phone),
                Some(email),
                Some(address),
                Some(display_order),
            ) => Ok(OrgFields {
                code,
                name,
                short_name,
                kind,
                contact_person,
                phone,
                email,
                address,
                display_order,
            }),
            _ => Err(AppError::BadRequest("unparsed org field")),
        }
    }

    /// The input that edits `org` as it is now.
    pub fn from_org(org: &Org) -> Self {
        OrgInput {
            code: Some(org.code.clone()),
            name: Some(org.name.clone()),
            short_name: org.short_name.clone(),
            kind: Some(org.kind.as_str().to_string()),
            parent_code: None,
            contact_person: org.contact_person.clone(),
            phone: org.phone.clone(),
            email: org.email.clone(),
            address: org.address.clone(),
            display_order: Some(org.display_order.to_string()),
        }
    }
}

/// A move under a new parent.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"parent_code": "UA"}))]
pub struct MoveInput {
    /// Code of the new parent.
    pub parent_code: String,
}

/// Whether an org is active.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"active": false}))]
pub struct ActiveInput {
    pub active: bool,
}

/// Query of the org list API.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// List the children of this org; without it, the top orgs of the caller's scope.
    pub parent: Option<OrgId>,
    /// Search by name, short name or code instead.
    pub q: Option<String>,
}

/// A plausible e-mail address: one `@`, a dot in the domain, no spaces.
pub fn parse_email(field: &str, raw: &str) -> Result<String, FieldError> {
    let e = raw.trim();
    let ok = e.len() <= 120
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !d.contains('@')
        });
    if ok {
        Ok(e.to_string())
    } else {
        Err(FieldError::new(field, "err-email"))
    }
}

/// Counts of what lies under an org, for the home page and the API.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct SubtreeCounts {
    /// Orgs in the subtree by kind (the org itself included).
    pub orgs_by_kind: Vec<KindCount>,
    pub orgs_total: i64,
    pub enterprises: i64,
    pub enterprises_without_union: i64,
    pub enterprises_with_new_forms: i64,
    pub users: i64,
}

/// How many orgs of one kind.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KindCount {
    pub kind: OrgKind,
    pub count: i64,
}

/// Errors specific to changing the tree.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("an org cannot move under itself or its own descendant")]
    Cycle,
    #[error("this kind of org cannot sit under that parent")]
    KindUnderParent,
    #[error("the org still has active children")]
    ActiveChildren,
    #[error("the code is taken")]
    CodeTaken,
    #[error("the parent was not found")]
    ParentNotFound,
}

impl From<OrgError> for AppError {
    fn from(e: OrgError) -> Self {
        let (field, key) = match e {
            OrgError::Cycle => ("parent_code", "err-org-cycle"),
            OrgError::KindUnderParent => ("kind", "err-org-kind-parent"),
            OrgError::ActiveChildren => ("active", "err-org-active-children"),
            OrgError::CodeTaken => ("code", "err-code-taken"),
            OrgError::ParentNotFound => ("parent_code", "err-parent-not-found"),
        };
        AppError::field(field, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sit_only_where_the_union_structure_allows() {
        use OrgKind::*;
        let table = [
            (Federation, None, true),
            (Federation, Some(Federation), true),
            (Federation, Some(Street), false),
            (Department, Some(Federation), true),
            (Department, Some(Street), false),
            (Department, None, false),
            (Street, Some(Federation), true),
            (Grassroots, Some(Street), true),
            (Grassroots, Some(Grassroots), true),
            (Grassroots, Some(Department), false),
            (Industry, None, false),
        ];
        for (kind, parent, ok) in table {
            assert_eq!(kind.may_sit_under(parent), ok, "{kind:?} under {parent:?}");
        }
    }

    #[test]
    fn kinds_parse_from_code_or_chinese_name() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            assert_eq!(OrgKind::parse(k.zh_name()), Some(k));
        }
        assert_eq!(OrgKind::parse("街道"), None);
        assert_eq!(OrgKind::parse("nonsense"), None);
    }

    #[test]
    fn phones_are_checked_and_masked() {
        assert!(Phone::parse("phone", "138 0013 8000").is_ok());
        assert!(Phone::parse("phone", "021-25032214").is_ok());
        assert!(Phone::parse("phone", "+8613800138000").is_ok());
        assert!(Phone::parse("phone", "12345").is_err());
        assert!(Phone::parse("phone", "1380013800a").is_err());
        assert!(Phone::parse("phone", "12000138000").is_err());
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("25032214"), "25**2214");
    }

    #[test]
    fn an_org_input_reports_every_bad_field() {
        let input = OrgInput {
            code: Some("a b".into()),
            kind: Some("club".into()),
            email: Some("nope".into()),
            ..Default::default()
        };
        let AppError::Validation(errs) = input.parse().unwrap_err() else {
            panic!()
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "kind", "email"]);
    }
}
