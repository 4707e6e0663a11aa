//! Enterprises and public institutions (企事业单位) that cadres visit: identified
//! by their unified social credit code, placed in an org's jurisdiction, maybe
//! covered by a grassroots union, maybe employing new-employment-form workers.

pub mod demo;
pub mod http;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    auth::Scope,
    db::{Db, EnterpriseId, OrgId},
    error::{AppError, FieldError},
    org::{OrgKind, Phone},
    web::form::{self, Errors},
};

/// The 31 characters a credit code may use (GB 32100-2015: no I, O, Z, S, V).
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

/// The check character for the first 17 characters of a credit code.
fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    let v = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(v as usize)
}

/// A unified social credit code (统一社会信用代码), checked per GB 32100-2015.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code; the error says which rule is broken and where.
    pub fn parse(field: &str, raw: &str) -> Result<CreditCode, FieldError> {
        let code: String = raw.trim().to_ascii_uppercase();
        let len = code.chars().count();
        if len != 18 {
            return Err(FieldError::new(field, "err-credit-length").arg("len", len));
        }
        for (i, c) in code.chars().enumerate() {
            if value_of(c).is_none() {
                return Err(FieldError::new(field, "err-credit-chars")
                    .arg("pos", i + 1)
                    .arg("char", c));
            }
        }
        if !code[2..8].chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(field, "err-credit-division"));
        }
        let expected = check_char(&code[..17]).unwrap_or('0');
        if code.chars().nth(17) != Some(expected) {
            return Err(FieldError::new(field, "err-credit-check").arg("expected", expected));
        }
        Ok(CreditCode(code))
    }

    /// Completes 17 valid characters with their check character.
    pub fn with_check(first17: &str) -> Option<CreditCode> {
        if first17.chars().count() != 17 {
            return None;
        }
        let c = check_char(first17)?;
        CreditCode::parse("credit_code", &format!("{first17}{c}")).ok()
    }

    /// The code as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group of new-employment-form workers (新就业形态劳动者).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerGroup {
    TruckDriver,
    RideHailing,
    Courier,
    FoodDelivery,
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

    /// The Chinese name used in import files.
    pub fn zh_name(self) -> &'static str {
        match self {
            WorkerGroup::TruckDriver => "货车司机",
            WorkerGroup::RideHailing => "网约车司机",
            WorkerGroup::Courier => "快递员",
            WorkerGroup::FoodDelivery => "外卖配送员",
            WorkerGroup::Other => "其他",
        }
    }

    /// Parses the stored spelling or the Chinese name.
    pub fn parse(s: &str) -> Option<WorkerGroup> {
        let s = s.trim();
        WorkerGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == s || g.zh_name() == s)
    }

    /// The catalogue key of the group's name.
    pub fn label_key(self) -> String {
        format!("group-{}", self.as_str())
    }
}

/// Parses a list of groups separated by commas, 、, ，or semicolons.
pub fn parse_groups(field: &str, raw: &str) -> Result<Vec<WorkerGroup>, FieldError> {
    let mut out = Vec::new();
    for part in raw
        .split([',', '，', '、', ';', '；'])
        .map(str::trim)
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

/// An enterprise as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_code: String,
    pub name: String,
    pub credit_code: String,
    pub industry: Option<String>,
    pub address: Option<String>,
    pub employee_count: Option<i64>,
    pub groups: Vec<WorkerGroup>,
    pub has_new_forms: bool,
    pub has_union: bool,
    pub union_org_id: Option<OrgId>,
    pub union_org_name: Option<String>,
    pub union_org_code: Option<String>,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
}

impl Enterprise {
    /// A copy with the contact phone masked.
    pub fn masked(mut self) -> Self {
        self.contact_phone = self.contact_phone.as_deref().map(crate::org::mask_phone);
        self
    }

    /// The groups joined for display and export.
    pub fn groups_text(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.zh_name())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// An enterprise as submitted by a form, a JSON body or an import row.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct EnterpriseInput {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub industry: Option<String>,
    pub address: Option<String>,
    pub employee_count: Option<String>,
    /// Groups separated by commas or 、: truck_driver, ride_hailing, courier, food_delivery, other (or 货车司机…).
    pub new_form_groups: Option<String>,
    /// yes/no, 是/否, 1/0.
    pub has_union: Option<String>,
    /// Code of the grassroots union that covers the enterprise.
    pub union_org_code: Option<String>,
    /// Code of the org whose jurisdiction the enterprise is in.
    pub org_code: Option<String>,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
}

/// The parsed fields of an enterprise; orgs are resolved by [`resolve_orgs`].
#[derive(Clone, Debug, PartialEq)]
pub struct EnterpriseFields {
    pub name: String,
    pub credit_code: CreditCode,
    pub industry: Option<String>,
    pub address: Option<String>,
    pub employee_count: Option<i64>,
    pub groups: Vec<WorkerGroup>,
    pub has_union: bool,
    pub union_org_code: Option<String>,
    pub org_code: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<Phone>,
}

impl EnterpriseInput {
    /// Parses every field, reporting all problems at once.
    pub fn parse(&self) -> Result<EnterpriseFields, AppError> {
        let mut errs = Errors::default();
        let name = errs.take(form::required("name", &self.name, 120));
        let credit_code = errs.take(CreditCode::parse(
            "credit_code",
            self.credit_code.as_deref().unwrap_or(""),
        ));
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
        let union_org_code = form::opt(&self.union_org_code).map(|c| c.to_ascii_uppercase());
        let has_union = match form::flag(&self.has_union) {
            Ok(h) => Some(h || union_org_code.is_some()),
            Err(_) => {
                errs.push(FieldError::new("has_union", "err-flag"));
                None
            }
        };
        let org_code = errs
            .take(form::required("org_code", &self.org_code, 32))
            .map(|c| c.to_ascii_uppercase());
        let contact_person = errs.take(form::optional("contact_person", &self.contact_person, 50));
        let contact_phone = match form::opt(&self.contact_phone) {
            None => Some(None),
            Some(p) => errs.take(Phone::parse("contact_phone", &p)).map(Some),
        };
        errs.finish()?;
        match (
            name,
            credit_code,
            industry,
            address,
            employee_count,
            groups,
            has_union,
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

    /// The input that edits `e` as it is now.
    pub fn from_enterprise(e: &Enterprise) -> Self {
        EnterpriseInput {
            name: Some(e.name.clone()),
            credit_code: Some(e.credit_code.clone()),
            industry: e.industry.clone(),
            address: e.address.clone(),
            employee_count: e.employee_count.map(|n| n.to_string()),
            new_form_groups: Some(
                e.groups
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            has_union: Some(if e.has_union { "1" } else { "0" }.into()),
            union_org_code: e.union_org_code.clone(),
            org_code: Some(e.org_code.clone()),
            contact_person: e.contact_person.clone(),
            contact_phone: e.contact_phone.clone(),
        }
    }
}

/// Resolves the jurisdiction and union codes inside `scope` (the caller's write scope).
pub async fn resolve_orgs(
    db: &Db,
    scope: &Scope,
    f: &EnterpriseFields,
) -> Result<(OrgId, Option<OrgId>), AppError> {
    let org = crate::org::store::get_by_code(db, scope, &f.org_code)
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    let union = match &f.union_org_code {
        None => None,
        Some(code) => {
            let u = crate::org::store::get_by_code(db, scope, code)
                .await?
                .ok_or_else(|| AppError::field("union_org_code", "err-org-out-of-scope"))?;
            if u.kind != OrgKind::Grassroots {
                return Err(AppError::field("union_org_code", "err-union-kind"));
            }
            Some(u.id)
        }
    };
    Ok((org.id, union))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn real_codes_pass_and_each_broken_rule_is_named() {
        // Check characters cross-checked with python-stdnum's cn.uscc.
        for code in [
            "91310110MA1G8XXX2B",
            "91110000100000589A",
            "12100000400000624D",
        ] {
            assert!(CreditCode::parse("c", code).is_ok(), "{code}");
        }
        assert!(
            CreditCode::parse("c", " 91310110ma1g8xxx2b ").is_ok(),
            "case and spaces are forgiven"
        );
        let key = |s: &str| CreditCode::parse("c", s).unwrap_err().key;
        assert_eq!(key("9131011"), "err-credit-length");
        assert_eq!(key("91310110MA1G8XXXIB"), "err-credit-chars");
        assert_eq!(key("9131A110MA1G8XXX2B"), "err-credit-division");
        let e = CreditCode::parse("c", "91310110MA1G8XXX2A").unwrap_err();
        assert_eq!(e.key, "err-credit-check");
        assert_eq!(e.args, vec![("expected", "B".to_string())]);
    }

    #[test]
    fn groups_parse_from_codes_and_chinese_names() {
        assert_eq!(
            parse_groups("g", "courier、外卖配送员, courier").unwrap(),
            vec![WorkerGroup::Courier, WorkerGroup::FoodDelivery]
        );
        assert!(parse_groups("g", "pilots").is_err());
        assert_eq!(parse_groups("g", "").unwrap(), vec![]);
    }

    fn valid_first17() -> impl Strategy<Value = String> {
        let ch = proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>());
        (
            proptest::collection::vec(ch.clone(), 2),
            proptest::collection::vec(0u8..10, 6),
            proptest::collection::vec(ch, 9),
        )
            .prop_map(|(a, d, b)| {
                let mut s: String = a.into_iter().collect();
                s.extend(d.into_iter().map(|x| char::from(b'0' + x)));
                s.extend(b);
                s
            })
    }

    proptest! {
        #[test]
        fn generated_codes_pass(first in valid_first17()) {
            let code = CreditCode::with_check(&first).unwrap();
            prop_assert!(CreditCode::parse("c", code.as_str()).is_ok());
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
    }
}
