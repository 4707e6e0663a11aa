//! Importing and exporting the org tree. A row's parent is an org already in
//! the caller's admin scope or a row earlier in the same file.

use std::collections::{HashMap, HashSet};

use super::{
    ApplyError, RowError,
    columns::{Column, Record, Sheet},
    existing,
};
use crate::{
    auth::Scope,
    db::{Db, OrgId, Tx},
    error::{AppError, FieldError},
    i18n::Lang,
    org::{Org, OrgFields, OrgInput, OrgKind, store},
    tabular::Cell,
};

/// The columns of an org sheet, in export order.
pub static COLUMNS: [Column; 10] = [
    Column {
        field: "code",
        zh: "代码",
        en: "Code",
        aliases: &["组织代码", "编码", "org_code"],
        required: true,
        width: 14.0,
        text: true,
        note: Some("import-note-org-code"),
    },
    Column {
        field: "name",
        zh: "名称",
        en: "Name",
        aliases: &["组织名称", "全称"],
        required: true,
        width: 32.0,
        text: false,
        note: None,
    },
    Column {
        field: "short_name",
        zh: "简称",
        en: "Short name",
        aliases: &[],
        required: false,
        width: 16.0,
        text: false,
        note: None,
    },
    Column {
        field: "kind",
        zh: "类型",
        en: "Kind",
        aliases: &["组织类型", "类别", "type"],
        required: true,
        width: 12.0,
        text: false,
        note: Some("import-note-org-kind"),
    },
    Column {
        field: "parent_code",
        zh: "上级代码",
        en: "Parent code",
        aliases: &["上级组织代码", "上级", "parent"],
        required: true,
        width: 14.0,
        text: true,
        note: Some("import-note-org-parent"),
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
        field: "phone",
        zh: "电话",
        en: "Phone",
        aliases: &["联系电话", "手机", "telephone"],
        required: false,
        width: 16.0,
        text: true,
        note: Some("import-note-phone"),
    },
    Column {
        field: "email",
        zh: "电子邮箱",
        en: "Email",
        aliases: &["邮箱", "e-mail"],
        required: false,
        width: 24.0,
        text: false,
        note: None,
    },
    Column {
        field: "address",
        zh: "地址",
        en: "Address",
        aliases: &["办公地址"],
        required: false,
        width: 36.0,
        text: false,
        note: None,
    },
    Column {
        field: "display_order",
        zh: "排序号",
        en: "Display order",
        aliases: &["排序", "顺序", "order"],
        required: false,
        width: 10.0,
        text: false,
        note: Some("import-note-org-order"),
    },
];

/// Where a new org will hang.
#[derive(Clone, Debug, PartialEq)]
pub enum Parent {
    /// An org already stored (inside the caller's admin scope).
    Existing(OrgId),
    /// A row earlier in the same file, by code.
    InFile(String),
}

/// One row, checked and ready to insert.
#[derive(Clone, Debug)]
pub struct OrgPlan {
    pub row: usize,
    pub fields: OrgFields,
    pub parent: Parent,
}

/// The text of a row as an org input.
pub fn input(r: &Record) -> OrgInput {
    let get = |f: &str| r.get(&COLUMNS, f);
    OrgInput {
        code: get("code"),
        name: get("name"),
        short_name: get("short_name"),
        kind: get("kind"),
        parent_code: get("parent_code"),
        contact_person: get("contact_person"),
        phone: get("phone"),
        email: get("email"),
        address: get("address"),
        display_order: get("display_order"),
    }
}

/// A row after parsing: (row, fields if every field parsed, kind if that parsed, parent code).
type FirstPass = (usize, Option<OrgFields>, Option<OrgKind>, Option<String>);

fn push_all(errors: &mut Vec<RowError>, row: usize, e: AppError) -> Result<(), AppError> {
    match e {
        AppError::Validation(fs) => {
            errors.extend(fs.into_iter().map(|error| RowError { row, error }));
            Ok(())
        }
        other => Err(other),
    }
}

/// Checks every row without writing: fields, duplicate codes in the file, codes
/// already taken, parents (in `scope`, or earlier in the file) and kinds under them.
pub async fn validate(
    db: &Db,
    scope: &Scope,
    sheet: &Sheet,
) -> Result<(Vec<OrgPlan>, Vec<RowError>), AppError> {
    let mut errors = Vec::new();
    // Per row: the parsed fields (if every field parsed), its kind (if that
    // parsed) and its parent's code.
    let mut parsed: Vec<FirstPass> = Vec::new();
    // Code → (row, kind): where each code of the file is defined.
    let mut in_file: HashMap<String, (usize, Option<OrgKind>)> = HashMap::new();
    for r in &sheet.records {
        let input = input(r);
        let fields = match input.parse() {
            Ok(f) => Some(f),
            Err(e) => {
                push_all(&mut errors, r.row, e)?;
                None
            }
        };
        let kind = input.kind.as_deref().and_then(OrgKind::parse);
        let code = input
            .code
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty());
        if let Some(code) = &code {
            match in_file.get(code) {
                Some((first, _)) => errors.push(RowError {
                    row: r.row,
                    error: FieldError::new("code", "err-import-duplicate").arg("row", first),
                }),
                None => {
                    in_file.insert(code.clone(), (r.row, kind));
                }
            }
        }
        let parent = input
            .parent_code
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty());
        if parent.is_none() {
            errors.push(RowError {
                row: r.row,
                error: FieldError::new("parent_code", "err-required"),
            });
        }
        parsed.push((r.row, fields, kind, parent));
    }

    let codes: Vec<String> = in_file.keys().cloned().collect();
    let taken = existing(db, "orgs", "code", &codes).await?;

    let first_pass_bad: HashSet<usize> = errors.iter().map(|e| e.row).collect();
    let mut parents: HashMap<String, Option<Org>> = HashMap::new();
    let mut plans = Vec::new();
    for (row, fields, kind, parent_code) in parsed {
        let errors_before = errors.len();
        if let Some(f) = &fields
            && taken.contains(f.code.as_str())
            && in_file.get(f.code.as_str()).is_some_and(|(r, _)| *r == row)
        {
            errors.push(RowError {
                row,
                error: FieldError::new("code", "err-code-taken"),
            });
        }
        let Some(pc) = parent_code else { continue };
        let resolved = match in_file.get(&pc) {
            Some((prow, pkind)) if *prow < row => Some((Parent::InFile(pc.clone()), *pkind)),
            Some(_) => {
                errors.push(RowError {
                    row,
                    error: FieldError::new("parent_code", "err-import-parent-later")
                        .arg("code", &pc),
                });
                None
            }
            None => {
                if !parents.contains_key(&pc) {
                    let org = store::get_by_code(db, scope, &pc).await?;
                    parents.insert(pc.clone(), org);
                }
                match parents.get(&pc).and_then(Option::as_ref) {
                    Some(org) if !org.active => {
                        errors.push(RowError {
                            row,
                            error: FieldError::new("parent_code", "err-import-parent-inactive")
                                .arg("code", &pc),
                        });
                        None
                    }
                    Some(org) => Some((Parent::Existing(org.id), Some(org.kind))),
                    None => {
                        errors.push(RowError {
                            row,
                            error: FieldError::new("parent_code", "err-org-out-of-scope"),
                        });
                        None
                    }
                }
            }
        };
        let Some((parent, parent_kind)) = resolved else {
            continue;
        };
        if let (Some(k), Some(pk)) = (kind, parent_kind)
            && !k.may_sit_under(Some(pk))
        {
            errors.push(RowError {
                row,
                error: FieldError::new("kind", "err-org-kind-parent"),
            });
        }
        let row_ok = errors.len() == errors_before && !first_pass_bad.contains(&row);
        if let Some(fields) = fields
            && row_ok
        {
            plans.push(OrgPlan {
                row,
                fields,
                parent,
            });
        }
    }
    Ok((plans, errors))
}

/// Inserts the checked rows in order (parents first) inside the caller's transaction.
pub async fn apply(tx: &mut Tx, plans: &[OrgPlan]) -> Result<Vec<OrgId>, ApplyError> {
    let mut ids: HashMap<&str, OrgId> = HashMap::new();
    let mut out = Vec::with_capacity(plans.len());
    for p in plans {
        let parent = match &p.parent {
            Parent::Existing(id) => *id,
            Parent::InFile(code) => match ids.get(code.as_str()) {
                Some(id) => *id,
                None => {
                    return Err(ApplyError::Rows(vec![RowError {
                        row: p.row,
                        error: FieldError::new("parent_code", "err-parent-not-found"),
                    }]));
                }
            },
        };
        let id = store::insert(tx, &p.fields, Some(parent))
            .await
            .map_err(|e| ApplyError::at(p.row, e))?;
        ids.insert(p.fields.code.as_str(), id);
        out.push(id);
    }
    Ok(out)
}

/// The export rows of orgs and how many show a phone in full: phones are
/// masked unless the org is in `writable`.
pub fn export_rows(
    orgs: &[(Org, Option<String>)],
    lang: Lang,
    writable: &HashSet<OrgId>,
) -> (Vec<Vec<Cell>>, usize) {
    let mut shown = 0;
    let rows = orgs
        .iter()
        .map(|(o, parent)| {
            COLUMNS
                .iter()
                .map(|c| match c.field {
                    "code" => Cell::Text(o.code.clone()),
                    "name" => Cell::Text(o.name.clone()),
                    "short_name" => Cell::opt(o.short_name.as_deref()),
                    "kind" => Cell::Text(match lang {
                        Lang::Zh => o.kind.zh_name().to_string(),
                        Lang::En => o.kind.as_str().to_string(),
                    }),
                    "parent_code" => Cell::opt(parent.as_deref()),
                    "contact_person" => Cell::opt(o.contact_person.as_deref()),
                    "phone" => match &o.phone {
                        Some(p) if writable.contains(&o.id) => {
                            shown += 1;
                            Cell::Text(p.clone())
                        }
                        Some(p) => Cell::Text(crate::org::mask_phone(p)),
                        None => Cell::Empty,
                    },
                    "email" => Cell::opt(o.email.as_deref()),
                    "address" => Cell::opt(o.address.as_deref()),
                    "display_order" => Cell::Int(o.display_order),
                    _ => Cell::Empty,
                })
                .collect()
        })
        .collect();
    (rows, shown)
}
