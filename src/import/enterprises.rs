//! Importing and exporting enterprises. Each row is checked by the enterprise
//! module's own rules ([`EnterpriseInput::parse`], [`resolve_orgs`]) and stored
//! by its [`store::insert`], so a spreadsheet row and a form obey the same rules.

use std::collections::{HashMap, HashSet};

use super::{
    ApplyError, RowError,
    columns::{Column, Record, Sheet},
    existing,
};
use crate::{
    auth::Scope,
    db::{Db, EnterpriseId, OrgId, Tx},
    enterprise::{CreditCode, Enterprise, EnterpriseFields, EnterpriseInput, resolve_orgs, store},
    error::{AppError, FieldError},
    i18n::Lang,
    org::OrgCode,
    tabular::Cell,
};

/// The columns of an enterprise sheet, in export order.
pub static COLUMNS: [Column; 11] = [
    Column {
        field: "name",
        zh: "单位名称",
        en: "Name",
        aliases: &["名称", "企业名称", "单位", "企事业单位名称", "enterprise"],
        required: true,
        width: 34.0,
        text: false,
        note: None,
    },
    Column {
        field: "credit_code",
        zh: "统一社会信用代码",
        en: "Credit code",
        aliases: &[
            "信用代码",
            "社会信用代码",
            "uscc",
            "unified social credit code",
        ],
        required: true,
        width: 22.0,
        text: true,
        note: Some("import-note-credit-code"),
    },
    Column {
        field: "industry",
        zh: "行业",
        en: "Industry",
        aliases: &["所属行业"],
        required: false,
        width: 14.0,
        text: false,
        note: None,
    },
    Column {
        field: "address",
        zh: "地址",
        en: "Address",
        aliases: &["单位地址", "注册地址", "经营地址"],
        required: false,
        width: 36.0,
        text: false,
        note: None,
    },
    Column {
        field: "employee_count",
        zh: "职工人数",
        en: "Employees",
        aliases: &["职工数", "职工总数", "员工人数", "人数", "employee count"],
        required: false,
        width: 10.0,
        text: false,
        note: Some("import-note-employees"),
    },
    Column {
        field: "new_form_groups",
        zh: "新就业形态劳动者",
        en: "New-employment-form workers",
        aliases: &["新就业形态", "新就业形态群体", "new form groups", "groups"],
        required: false,
        width: 24.0,
        text: false,
        note: Some("import-note-new-forms"),
    },
    Column {
        field: "has_union",
        zh: "是否建会",
        en: "Has union",
        aliases: &["已建会", "建会情况", "建会", "union"],
        required: false,
        width: 10.0,
        text: false,
        note: Some("import-note-has-union"),
    },
    Column {
        field: "union_org_code",
        zh: "基层工会代码",
        en: "Union org code",
        aliases: &["工会组织代码", "工会代码", "union code"],
        required: false,
        width: 16.0,
        text: true,
        note: Some("import-note-union-org-code"),
    },
    Column {
        field: "org_code",
        zh: "所属组织代码",
        en: "Org code",
        aliases: &["所属组织", "管辖组织代码", "jurisdiction"],
        required: true,
        width: 16.0,
        text: true,
        note: Some("import-note-org-code-enterprise"),
    },
    Column {
        field: "contact_person",
        zh: "联系人",
        en: "Contact person",
        aliases: &["contact"],
        required: false,
        width: 12.0,
        text: false,
        note: None,
    },
    Column {
        field: "contact_phone",
        zh: "联系电话",
        en: "Contact phone",
        aliases: &["电话", "手机", "phone"],
        required: false,
        width: 16.0,
        text: true,
        note: Some("import-note-phone"),
    },
];

/// One row, checked and ready to insert.
#[derive(Clone, Debug)]
pub struct EnterprisePlan {
    pub row: usize,
    pub fields: EnterpriseFields,
    pub org: OrgId,
    pub union: Option<OrgId>,
}

/// The text of a row as an enterprise input.
pub fn input(r: &Record) -> EnterpriseInput {
    let get = |f: &str| r.get(&COLUMNS, f);
    EnterpriseInput {
        name: get("name"),
        credit_code: get("credit_code"),
        industry: get("industry"),
        address: get("address"),
        employee_count: get("employee_count"),
        new_form_groups: get("new_form_groups"),
        has_union: get("has_union"),
        union_org_code: get("union_org_code"),
        org_code: get("org_code"),
        contact_person: get("contact_person"),
        contact_phone: get("contact_phone"),
    }
}

/// Org codes of a row, normalised, for resolving them once per distinct pair.
type OrgKey = (String, Option<String>);

/// The jurisdiction and union of a pair of org codes, or why they do not resolve.
type Resolution = Result<(OrgId, Option<OrgId>), Vec<FieldError>>;

/// Fields that carry only a row's org codes, so the org codes of a row whose
/// other fields are wrong are still checked (and reported) by [`resolve_orgs`].
fn probe(key: &OrgKey) -> Option<EnterpriseFields> {
    Some(EnterpriseFields {
        name: String::new(),
        credit_code: CreditCode::with_check("91310110MA1G8XXX2")?,
        industry: None,
        address: None,
        employee_count: None,
        groups: Vec::new(),
        has_union: key.1.is_some(),
        union_org_code: key.1.clone(),
        org_code: key.0.clone(),
        contact_person: None,
        contact_phone: None,
    })
}

/// Checks every row without writing: fields, credit codes repeated in the file
/// or already registered, and the jurisdiction and union inside `scope` (the
/// caller's write scope).
pub async fn validate(
    db: &Db,
    scope: &Scope,
    sheet: &Sheet,
) -> Result<(Vec<EnterprisePlan>, Vec<RowError>), AppError> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows: Vec<(usize, Option<EnterpriseFields>, Option<OrgKey>)> = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for r in &sheet.records {
        let input = input(r);
        let (fields, key) = match input.parse() {
            Ok(f) => {
                let key = (f.org_code.clone(), f.union_org_code.clone());
                (Some(f), Some(key))
            }
            Err(AppError::Validation(fs)) => {
                // The org codes still get checked when they are well-formed themselves.
                let org = input
                    .org_code
                    .as_deref()
                    .and_then(|c| OrgCode::parse("org_code", c).ok());
                let union = match input.union_org_code.as_deref() {
                    None => Some(None),
                    Some(c) => OrgCode::parse("union_org_code", c).ok().map(Some),
                };
                let key = match (org, union) {
                    (Some(o), Some(u)) => {
                        Some((o.as_str().to_string(), u.map(|u| u.as_str().to_string())))
                    }
                    _ => None,
                };
                errors.extend(fs.into_iter().map(|error| RowError { row: r.row, error }));
                (None, key)
            }
            Err(other) => return Err(other),
        };
        let code = match &fields {
            Some(f) => Some(f.credit_code.as_str().to_string()),
            None => input
                .credit_code
                .as_deref()
                .and_then(|c| CreditCode::parse("credit_code", c).ok())
                .map(|c| c.as_str().to_string()),
        };
        if let Some(code) = code {
            match first_row.get(&code) {
                Some(first) => errors.push(RowError {
                    row: r.row,
                    error: FieldError::new("credit_code", "err-import-duplicate").arg("row", first),
                }),
                None => {
                    first_row.insert(code, r.row);
                }
            }
        }
        rows.push((r.row, fields, key));
    }

    let codes: Vec<String> = first_row.keys().cloned().collect();
    let taken = existing(db, "enterprises", "credit_code", &codes).await?;
    for (code, row) in &first_row {
        if taken.contains(code) {
            errors.push(RowError {
                row: *row,
                error: FieldError::new("credit_code", "err-credit-taken"),
            });
        }
    }

    let bad: HashSet<usize> = errors.iter().map(|e| e.row).collect();
    // Most files name a few dozen jurisdictions: resolve each pair once.
    let mut resolved: HashMap<OrgKey, Resolution> = HashMap::new();
    let mut plans = Vec::new();
    for (row, fields, key) in rows {
        let Some(key) = key else { continue };
        if !resolved.contains_key(&key) {
            let result = match fields.as_ref().cloned().or_else(|| probe(&key)) {
                Some(f) => match resolve_orgs(db, scope, &f).await {
                    Ok(ids) => Ok(ids),
                    Err(AppError::Validation(fs)) => Err(fs),
                    Err(other) => return Err(other),
                },
                None => Ok((OrgId(0), None)),
            };
            resolved.insert(key.clone(), result);
        }
        match (&resolved[&key], fields) {
            (Err(fs), _) => {
                errors.extend(fs.iter().map(|e| RowError {
                    row,
                    error: e.clone(),
                }));
            }
            (Ok((org, union)), Some(fields)) if !bad.contains(&row) => {
                plans.push(EnterprisePlan {
                    row,
                    fields,
                    org: *org,
                    union: *union,
                });
            }
            _ => {}
        }
    }
    Ok((plans, errors))
}

/// Inserts the checked rows inside the caller's transaction.
pub async fn apply(tx: &mut Tx, plans: &[EnterprisePlan]) -> Result<Vec<EnterpriseId>, ApplyError> {
    let mut ids = Vec::with_capacity(plans.len());
    for p in plans {
        let id = store::insert(tx, &p.fields, p.org, p.union)
            .await
            .map_err(|e| ApplyError::at(p.row, e))?;
        ids.push(id);
    }
    Ok(ids)
}

/// The export rows of enterprises and how many show a phone in full: phones are
/// masked unless the enterprise's org is in `writable`.
pub fn export_rows(
    list: &[Enterprise],
    lang: Lang,
    writable: &HashSet<OrgId>,
) -> (Vec<Vec<Cell>>, usize) {
    let mut shown = 0;
    let rows = list
        .iter()
        .map(|e| {
            COLUMNS
                .iter()
                .map(|c| match c.field {
                    "name" => Cell::Text(e.name.clone()),
                    "credit_code" => Cell::Text(e.credit_code.clone()),
                    "industry" => Cell::opt(e.industry.as_deref()),
                    "address" => Cell::opt(e.address.as_deref()),
                    "employee_count" => e.employee_count.map_or(Cell::Empty, Cell::Int),
                    "new_form_groups" => match lang {
                        Lang::Zh => Cell::opt(Some(&e.groups_text())),
                        Lang::En => Cell::opt(Some(
                            &e.groups
                                .iter()
                                .map(|g| g.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        )),
                    },
                    "has_union" => Cell::Text(
                        match (lang, e.has_union) {
                            (Lang::Zh, true) => "是",
                            (Lang::Zh, false) => "否",
                            (Lang::En, true) => "yes",
                            (Lang::En, false) => "no",
                        }
                        .to_string(),
                    ),
                    "union_org_code" => Cell::opt(e.union_org_code.as_deref()),
                    "org_code" => Cell::Text(e.org_code.clone()),
                    "contact_person" => Cell::opt(e.contact_person.as_deref()),
                    "contact_phone" => match &e.contact_phone {
                        Some(p) if writable.contains(&e.org_id) => {
                            shown += 1;
                            Cell::Text(p.clone())
                        }
                        Some(p) => Cell::Text(crate::org::mask_phone(p)),
                        None => Cell::Empty,
                    },
                    _ => Cell::Empty,
                })
                .collect()
        })
        .collect();
    (rows, shown)
}

/// The export rows of the enterprises in `scope`, and how many show a phone in full.
pub async fn export(
    db: &Db,
    scope: &Scope,
    lang: Lang,
    writable: &HashSet<OrgId>,
) -> Result<(Vec<Vec<Cell>>, usize), AppError> {
    let list = store::list_all(db, scope).await?;
    Ok(export_rows(&list, lang, writable))
}
