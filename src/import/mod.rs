//! Importing orgs and enterprises from XLSX and CSV, and exporting them.
//!
//! An import runs in two steps. [`analyse`] reads the file ([`crate::tabular`]), maps
//! its header ([`columns`]) and checks every row against the database without
//! writing ([`orgs::validate`], [`enterprises::validate`]); the upload is kept
//! in `pending_imports` ([`store`]) and the user sees a preview with every row
//! error. [`commit`] reads the kept file again, checks it again and inserts
//! every row in one transaction, or nothing at all ([`apply`]).

pub mod api;
pub mod columns;
pub mod enterprises;
pub mod ops;
pub mod orgs;
pub mod pages;
pub mod store;

pub use ops::{apply, commit};

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::tabular;

use self::columns::{Column, Sheet};
use crate::{
    auth::{Caller, Need},
    db::{Db, DbError, ImportId, Sql},
    error::{AppError, FieldError},
    i18n::Lang,
};

/// How many parsed rows a preview shows.
pub const SAMPLE_ROWS: usize = 20;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Orgs,
    Enterprises,
}

impl ImportKind {
    /// Both kinds.
    pub const ALL: [ImportKind; 2] = [ImportKind::Orgs, ImportKind::Enterprises];

    /// The stored and URL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Orgs => "orgs",
            ImportKind::Enterprises => "enterprises",
        }
    }

    /// Parses the stored and URL spelling.
    pub fn parse(s: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The role an import of this kind needs: orgs are admin work, enterprises field work.
    pub fn need(self) -> Need {
        match self {
            ImportKind::Orgs => Need::Admin,
            ImportKind::Enterprises => Need::Write,
        }
    }

    /// The columns of a sheet of this kind.
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Orgs => &orgs::COLUMNS,
            ImportKind::Enterprises => &enterprises::COLUMNS,
        }
    }

    /// The catalogue key of the kind's name.
    pub fn label_key(self) -> &'static str {
        match self {
            ImportKind::Orgs => "import-kind-orgs",
            ImportKind::Enterprises => "import-kind-enterprises",
        }
    }
}

/// One problem with one row of a file: an Excel row number and a field error.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    /// The row as Excel numbers it (the header is usually row 1).
    pub row: usize,
    pub error: FieldError,
}

/// A row error as shown: row, the column's header as the file wrote it, and why.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RowIssue {
    /// The row as Excel numbers it.
    pub row: usize,
    /// The column header, as the file wrote it when it has the column.
    pub column: String,
    /// The input field (`code`, `credit_code`, … or `file`).
    pub field: String,
    /// Why, in the caller's language.
    pub message: String,
}

/// One row of the preview.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SampleRow {
    pub row: usize,
    /// A value per column of [`Preview::columns`].
    pub cells: Vec<String>,
    /// Whether the row has no errors.
    pub ok: bool,
}

/// What a file would import.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ImportPreview)]
pub struct Preview {
    pub kind: ImportKind,
    pub filename: String,
    /// The header row as Excel numbers it.
    pub header_row: usize,
    /// Data rows (blank rows are skipped).
    pub rows: usize,
    /// Data rows without errors.
    pub valid_rows: usize,
    /// The columns of the kind that the file has, headed in the caller's language.
    pub columns: Vec<String>,
    /// The first rows.
    pub sample: Vec<SampleRow>,
    /// Every error, in row order.
    pub errors: Vec<RowIssue>,
    /// Headers of the file that match no column and are ignored.
    pub ignored_columns: Vec<String>,
}

/// Checked rows ready to insert.
#[derive(Clone, Debug)]
pub enum Plans {
    Orgs(Vec<orgs::OrgPlan>),
    Enterprises(Vec<enterprises::EnterprisePlan>),
}

impl Plans {
    /// How many rows would be inserted.
    pub fn len(&self) -> usize {
        match self {
            Plans::Orgs(p) => p.len(),
            Plans::Enterprises(p) => p.len(),
        }
    }

    /// Whether nothing would be inserted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A file read and checked: the preview and, when it is clean, what to insert.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub preview: Preview,
    pub plans: Plans,
    sheet: Sheet,
    lang: Lang,
}

impl Analysis {
    /// Whether the file may be committed: rows to import and no errors.
    pub fn is_clean(&self) -> bool {
        self.preview.errors.is_empty() && !self.plans.is_empty()
    }
}

/// Why inserting checked rows failed.
#[derive(Debug)]
pub enum ApplyError {
    /// Problems tied to rows (a code taken since the preview, …): shown like validation errors.
    Rows(Vec<RowError>),
    /// Anything else.
    App(AppError),
}

impl ApplyError {
    /// An error from inserting `row`.
    pub fn at(row: usize, e: AppError) -> Self {
        match e {
            AppError::Validation(fs) => ApplyError::Rows(
                fs.into_iter()
                    .map(|error| RowError { row, error })
                    .collect(),
            ),
            other => ApplyError::App(other),
        }
    }
}

impl From<DbError> for ApplyError {
    fn from(e: DbError) -> Self {
        ApplyError::App(e.into())
    }
}

impl From<AppError> for ApplyError {
    fn from(e: AppError) -> Self {
        ApplyError::App(e)
    }
}

/// Which of `values` already sit in `table.column` (batched `IN` lookups).
/// `table` and `column` are constants of this module, never user input.
pub(crate) async fn existing(
    db: &Db,
    table: &'static str,
    column: &'static str,
    values: &[String],
) -> Result<HashSet<String>, DbError> {
    let mut found = HashSet::new();
    for chunk in values.chunks(500) {
        let mut sql = Sql::new(&format!("SELECT {column} FROM {table} WHERE {column} IN ("));
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(v.clone());
        }
        sql.push(")");
        let (text, args) = sql.build();
        let rows: Vec<String> = sqlx::query_scalar_with(text, args)
            .fetch_all(db.pool())
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Reads a file into a sheet of the kind's columns (step 1 of [`analyse`]).
pub fn read_sheet(
    kind: ImportKind,
    filename: &str,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Sheet, AppError> {
    let table = tabular::read_table(filename, bytes, max_rows)?;
    Ok(columns::map_sheet(kind.columns(), &table))
}

/// Checks every row of a sheet against the database without writing (step 2 of [`analyse`]).
pub async fn validate(
    db: &Db,
    caller: &Caller,
    kind: ImportKind,
    filename: &str,
    sheet: Sheet,
) -> Result<Analysis, AppError> {
    let scope = caller.require(kind.need())?;
    let mut errors = sheet.problems.clone();
    let plans = if !sheet.problems.is_empty() {
        match kind {
            ImportKind::Orgs => Plans::Orgs(Vec::new()),
            ImportKind::Enterprises => Plans::Enterprises(Vec::new()),
        }
    } else {
        match kind {
            ImportKind::Orgs => {
                let (plans, errs) = orgs::validate(db, &scope, &sheet).await?;
                errors.extend(errs);
                Plans::Orgs(plans)
            }
            ImportKind::Enterprises => {
                let (plans, errs) = enterprises::validate(db, &scope, &sheet).await?;
                errors.extend(errs);
                Plans::Enterprises(plans)
            }
        }
    };
    if sheet.problems.is_empty() && sheet.records.is_empty() {
        errors.push(RowError {
            row: sheet.header_row + 1,
            error: FieldError::new("file", "err-import-no-rows"),
        });
    }
    errors.sort_by_key(|e| e.row);
    let preview = preview(kind, filename, &sheet, &errors, caller.lang);
    Ok(Analysis {
        preview,
        plans,
        sheet,
        lang: caller.lang,
    })
}

/// Reads and checks a file: what the upload page and the API show before committing.
pub async fn analyse(
    db: &Db,
    caller: &Caller,
    kind: ImportKind,
    filename: &str,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Analysis, AppError> {
    caller.require(kind.need())?;
    let sheet = read_sheet(kind, filename, bytes, max_rows)?;
    validate(db, caller, kind, filename, sheet).await
}

fn issue(sheet: &Sheet, e: &RowError, lang: Lang) -> RowIssue {
    RowIssue {
        row: e.row,
        column: sheet.column_name(&e.error.field, lang),
        field: e.error.field.clone(),
        message: e.error.message(lang),
    }
}

fn preview(
    kind: ImportKind,
    filename: &str,
    sheet: &Sheet,
    errors: &[RowError],
    lang: Lang,
) -> Preview {
    let bad: BTreeSet<usize> = errors.iter().map(|e| e.row).collect();
    // The preview shows the columns the file has.
    let present: Vec<usize> = (0..sheet.columns.len())
        .filter(|&i| sheet.headers[i].is_some())
        .collect();
    let rows = sheet.records.len();
    let valid_rows = sheet
        .records
        .iter()
        .filter(|r| !bad.contains(&r.row))
        .count();
    Preview {
        kind,
        filename: filename.to_string(),
        header_row: sheet.header_row,
        rows,
        valid_rows,
        columns: present
            .iter()
            .map(|&i| sheet.columns[i].title(lang).to_string())
            .collect(),
        sample: sheet
            .records
            .iter()
            .take(SAMPLE_ROWS)
            .map(|r| SampleRow {
                row: r.row,
                cells: present
                    .iter()
                    .map(|&i| r.cells[i].clone().unwrap_or_default())
                    .collect(),
                ok: !bad.contains(&r.row),
            })
            .collect(),
        errors: errors.iter().map(|e| issue(sheet, e, lang)).collect(),
        ignored_columns: sheet.ignored.clone(),
    }
}

/// What a commit did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Committed {
    pub kind: ImportKind,
    pub filename: String,
    /// Rows inserted.
    pub created: usize,
    /// The pending import that was committed, if the file was staged.
    pub import_id: Option<ImportId>,
}

/// The end of a commit: everything inserted, or nothing and the reasons.
#[derive(Clone, Debug)]
pub enum Outcome {
    Done(Committed),
    Rejected(Box<Preview>),
}

/// The error of committing an import twice.
pub fn already_committed() -> AppError {
    AppError::Validation(vec![FieldError::new("file", "err-import-committed")])
}

/// A file name as uploaded, without any folder a browser may send, at most 200 characters.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
pub(crate) mod testing {
    //! A fresh SQLite database with a small tree and callers, for this module's tests.

    use crate::{
        auth::{Caller, Role},
        db::{Db, OrgId, UserId},
        i18n::Lang,
        org::{OrgInput, store as orgs},
    };

    /// federation F ─┬─ street S1 ── grassroots G1
    ///               └─ street S2
    pub struct Fixture {
        pub db: Db,
        pub fed: OrgId,
        pub s1: OrgId,
        pub s2: OrgId,
        pub g1: OrgId,
        pub user: UserId,
        _dir: tempfile::TempDir,
    }

    async fn org(db: &Db, code: &str, kind: &str, parent: Option<OrgId>) -> OrgId {
        let f = OrgInput {
            code: Some(code.into()),
            name: Some(format!("{code} 工会")),
            kind: Some(kind.into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let mut tx = db.begin().await.unwrap();
        let id = orgs::insert(&mut tx, &f, parent).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    impl Fixture {
        pub async fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let url = match std::env::var("QINGTING_TEST_POSTGRES") {
                // The same convention as the integration tests (scripts/test).
                Ok(server) if !server.is_empty() => {
                    let server = server.trim_end_matches('/');
                    let name = format!("qt_test_{}", crate::auth::random_token(8));
                    let admin = Db::connect(&format!("{server}/postgres"), 1).await.unwrap();
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(admin.pool())
                        .await
                        .unwrap();
                    admin.close().await;
                    format!("{server}/{name}")
                }
                _ => crate::db::sqlite_url(&dir.path().join("t.db")),
            };
            let db = Db::connect(&url, 2).await.unwrap();
            db.migrate().await.unwrap();
            let fed = org(&db, "F", "federation", None).await;
            let s1 = org(&db, "S1", "street", Some(fed)).await;
            let s2 = org(&db, "S2", "street", Some(fed)).await;
            let g1 = org(&db, "G1", "grassroots", Some(s1)).await;
            let user: UserId = sqlx::query_scalar(
                "INSERT INTO users (org_id, username, display_name, password_hash, active, failed_logins, \
                 created_at, updated_at) VALUES ($1, 'tester', '测试', 'x', 1, 0, 0, 0) RETURNING id",
            )
            .bind(s1)
            .fetch_one(db.pool())
            .await
            .unwrap();
            Fixture {
                db,
                fed,
                s1,
                s2,
                g1,
                user,
                _dir: dir,
            }
        }

        /// A caller holding `role` at `org`.
        pub fn caller(&self, org: OrgId, role: Role) -> Caller {
            Caller {
                user_id: self.user,
                username: "tester".into(),
                display_name: "测试".into(),
                home_org: org,
                grants: vec![(org, role)],
                top_admin: None,
                lang: Lang::Zh,
                ip: None,
                session: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{testing::Fixture, *};
    use crate::auth::Role;

    fn csv(rows: &[&str]) -> Vec<u8> {
        let mut s = rows.join("\r\n");
        s.push_str("\r\n");
        s.into_bytes()
    }

    async fn org_count(db: &Db) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn org_rows_are_checked_without_writing_and_errors_name_row_and_column() {
        let fx = Fixture::new().await;
        let admin = fx.caller(fx.s1, Role::Admin);
        let file = csv(&[
            "组织名单",
            "代码,名称,类型,上级组织代码,联系电话",
            "A1,甲基层工会,基层工会,S1,13800138000",
            "A2,乙基层工会,grassroots,A1,",
            "",
            "A1,重复,基层工会,S1,",
            "A3,越权,基层工会,S2,",
            "A4,后置上级,基层工会,A5,",
            "A5,部室,机关部室,S1,12345",
            "G1,已有代码,基层工会,S1,",
        ]);
        let before = org_count(&fx.db).await;
        let a = analyse(&fx.db, &admin, ImportKind::Orgs, "orgs.csv", &file, 100)
            .await
            .unwrap();
        assert_eq!(org_count(&fx.db).await, before, "checking writes nothing");
        let p = &a.preview;
        assert_eq!(p.header_row, 2);
        assert_eq!(p.rows, 7);
        assert_eq!(p.valid_rows, 2);
        let got: Vec<(usize, &str, &str)> = p
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (6, "代码", "code"),
                (7, "上级组织代码", "parent_code"),
                (8, "上级组织代码", "parent_code"),
                (9, "联系电话", "phone"),
                (9, "类型", "kind"),
                (10, "代码", "code"),
            ]
        );
        assert!(p.errors[0].message.contains('3'), "{}", p.errors[0].message);
        assert!(
            p.errors[1].message.contains("权限"),
            "{}",
            p.errors[1].message
        );
        assert!(!a.is_clean());
        // Nothing is applied while errors remain.
        let out = apply(&fx.db, &admin, a, None).await.unwrap();
        assert!(matches!(out, Outcome::Rejected(_)));
        assert_eq!(org_count(&fx.db).await, before);
        // English callers read English reasons, under the file's own headers.
        let mut en = admin.clone();
        en.lang = Lang::En;
        let a = analyse(&fx.db, &en, ImportKind::Orgs, "orgs.csv", &file, 100)
            .await
            .unwrap();
        assert_eq!(a.preview.errors[0].column, "代码");
        assert!(
            a.preview.errors[0].message.contains("row 3"),
            "{}",
            a.preview.errors[0].message
        );
    }

    #[tokio::test]
    async fn a_clean_org_file_commits_once_in_one_transaction() {
        let fx = Fixture::new().await;
        let admin = fx.caller(fx.fed, Role::Admin);
        let file = csv(&[
            "code,name,kind,parent_code,phone,display_order",
            "B1,新街道,street,F,021-25032214,3",
            "B2,新基层工会,grassroots,B1,,",
        ]);
        let a = analyse(&fx.db, &admin, ImportKind::Orgs, "o.csv", &file, 100)
            .await
            .unwrap();
        assert!(a.is_clean(), "{:?}", a.preview.errors);
        let id = store::stage(&fx.db, &admin, ImportKind::Orgs, "o.csv", &file)
            .await
            .unwrap();
        // Only the uploader sees the staged file.
        let mut other = admin.clone();
        other.user_id = crate::db::UserId(fx.user.0 + 1000);
        assert!(matches!(
            commit(&fx.db, &other, id, 100).await,
            Err(AppError::NotFound)
        ));
        let before = org_count(&fx.db).await;
        let Outcome::Done(done) = commit(&fx.db, &admin, id, 100).await.unwrap() else {
            panic!("not committed")
        };
        assert_eq!(done.created, 2);
        assert_eq!(org_count(&fx.db).await, before + 2);
        let b2 = crate::org::store::get_by_code(&fx.db, &admin.scope(Need::Read), "B2")
            .await
            .unwrap()
            .unwrap();
        let b1 = crate::org::store::id_by_code(&fx.db, "B1").await.unwrap();
        assert_eq!(b2.parent_id, b1);
        // A second commit of the same upload imports nothing.
        assert!(matches!(
            commit(&fx.db, &admin, id, 100).await,
            Err(AppError::Validation(_))
        ));
        let mut tx = fx.db.begin().await.unwrap();
        assert!(store::mark_committed(&mut tx, &admin, id).await.is_err());
        drop(tx);
        assert_eq!(org_count(&fx.db).await, before + 2);
        let audited: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'import'")
                .fetch_one(fx.db.pool())
                .await
                .unwrap();
        assert_eq!(audited, 1);
    }

    #[tokio::test]
    async fn a_failure_while_inserting_rolls_back_every_row() {
        let fx = Fixture::new().await;
        let admin = fx.caller(fx.fed, Role::Admin);
        let file = csv(&[
            "代码,名称,类型,上级代码",
            "C1,一,街道工会,F",
            "C2,二,基层工会,C1",
        ]);
        let a = analyse(&fx.db, &admin, ImportKind::Orgs, "o.csv", &file, 100)
            .await
            .unwrap();
        assert!(a.is_clean());
        let id = store::stage(&fx.db, &admin, ImportKind::Orgs, "o.csv", &file)
            .await
            .unwrap();
        // Someone takes C2 between the preview and the commit.
        let f = crate::org::OrgInput {
            code: Some("C2".into()),
            name: Some("抢先".into()),
            kind: Some("street".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let mut tx = fx.db.begin().await.unwrap();
        crate::org::store::insert(&mut tx, &f, Some(fx.fed))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let before = org_count(&fx.db).await;
        let Outcome::Rejected(p) = apply(&fx.db, &admin, a, Some(id)).await.unwrap() else {
            panic!("committed despite a taken code")
        };
        assert_eq!(p.errors.len(), 1);
        assert_eq!((p.errors[0].row, p.errors[0].field.as_str()), (3, "code"));
        assert_eq!(org_count(&fx.db).await, before, "C1 was rolled back too");
        // The upload stays uncommitted, so a corrected retry is possible.
        assert!(
            store::get(&fx.db, &admin, id)
                .await
                .unwrap()
                .unwrap()
                .committed_at
                .is_none()
        );
    }

    #[tokio::test]
    async fn importing_needs_the_right_role() {
        let fx = Fixture::new().await;
        let cadre = fx.caller(fx.s1, Role::Cadre);
        let file = csv(&["代码,名称,类型,上级代码", "D1,一,基层工会,S1"]);
        assert!(matches!(
            analyse(&fx.db, &cadre, ImportKind::Orgs, "o.csv", &file, 100).await,
            Err(AppError::Forbidden)
        ));
        let viewer = fx.caller(fx.s1, Role::Viewer);
        assert!(matches!(
            analyse(
                &fx.db,
                &viewer,
                ImportKind::Enterprises,
                "e.csv",
                &file,
                100
            )
            .await,
            Err(AppError::Forbidden)
        ));
        let _ = (fx.s2, fx.g1);
    }

    fn credit(n: u32) -> String {
        crate::enterprise::CreditCode::with_check(&format!("91310110MA1{n:06}"))
            .unwrap()
            .as_str()
            .to_string()
    }

    async fn enterprise_count(db: &Db) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM enterprises")
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn enterprise_rows_in_gbk_are_checked_by_the_enterprise_rules() {
        let fx = Fixture::new().await;
        let cadre = fx.caller(fx.s1, Role::Cadre);
        let (c1, c2, c3) = (credit(1), credit(2), credit(3));
        let mut broken = credit(4);
        broken.replace_range(17.., if broken.ends_with('0') { "1" } else { "0" });
        let text = [
            "单位名称,统一社会信用代码,职工人数,新就业形态劳动者,是否建会,基层工会代码,所属组织代码,联系电话".to_string(),
            format!("华信物流有限公司,{c1},120,快递员、外卖骑手,是,G1,S1,13800138000"),
            format!("申城快递有限公司,{c2},,,否,,s1,"),
            format!("重复公司,{},,,否,,S1,", c1.to_lowercase()),
            format!("校验位错,{broken},,,否,,S1,"),
            format!("越权公司,{c3},,,否,,S2,"),
            format!("工会类型错,{},,,是,S1,S1,", credit(5)),
            format!("多处错误,{},十,骑手,也许,,S2,", credit(6)),
        ]
        .join("\r\n");
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let a = analyse(
            &fx.db,
            &cadre,
            ImportKind::Enterprises,
            "企业.csv",
            &gbk,
            100,
        )
        .await
        .unwrap();
        let got: Vec<(usize, &str)> = a
            .preview
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (4, "统一社会信用代码"),
                (5, "统一社会信用代码"),
                (6, "所属组织代码"),
                (7, "基层工会代码"),
                (8, "职工人数"),
                (8, "新就业形态劳动者"),
                (8, "是否建会"),
                (8, "所属组织代码"),
            ],
            "{:#?}",
            a.preview.errors
        );
        assert_eq!(a.preview.valid_rows, 2);
        assert!(a.preview.errors[1].message.contains("校验位"));
        // The two good rows import once the bad ones are gone.
        let good = text.lines().take(3).collect::<Vec<_>>().join("\n");
        let a = analyse(
            &fx.db,
            &cadre,
            ImportKind::Enterprises,
            "e.csv",
            good.as_bytes(),
            100,
        )
        .await
        .unwrap();
        assert!(a.is_clean(), "{:?}", a.preview.errors);
        let Outcome::Done(done) = apply(&fx.db, &cadre, a, None).await.unwrap() else {
            panic!()
        };
        assert_eq!(done.created, 2);
        assert_eq!(enterprise_count(&fx.db).await, 2);
        let list = crate::enterprise::store::list_all(&fx.db, &cadre.scope(Need::Read))
            .await
            .unwrap();
        let hx = list.iter().find(|e| e.credit_code == c1).unwrap();
        assert_eq!(hx.union_org_id, Some(fx.g1));
        assert_eq!(hx.groups.len(), 2);
        // Importing the same rows again: every credit code is taken.
        let a = analyse(
            &fx.db,
            &cadre,
            ImportKind::Enterprises,
            "e.csv",
            good.as_bytes(),
            100,
        )
        .await
        .unwrap();
        assert_eq!(a.preview.errors.len(), 2);
    }

    #[tokio::test]
    async fn an_export_imports_again_in_both_languages() {
        let fx = Fixture::new().await;
        let cadre = fx.caller(fx.s1, Role::Cadre);
        let text = format!(
            "名称,统一社会信用代码,所属组织代码,新就业形态劳动者,基层工会代码,联系电话\n\
             甲公司,{},S1,货车司机、快递员,G1,13800138000\n乙公司,{},G1,,,\n",
            credit(11),
            credit(12)
        );
        let a = analyse(
            &fx.db,
            &cadre,
            ImportKind::Enterprises,
            "e.csv",
            text.as_bytes(),
            100,
        )
        .await
        .unwrap();
        apply(&fx.db, &cadre, a, None).await.unwrap();
        for lang in [Lang::Zh, Lang::En] {
            let mut reader = fx.caller(fx.s1, Role::Cadre);
            reader.lang = lang;
            let (rows, shown) = ops::export_rows(&fx.db, &reader, ImportKind::Enterprises)
                .await
                .unwrap();
            assert_eq!((rows.len(), shown), (2, 1));
            let heads = ops::headers(ImportKind::Enterprises, lang);
            let xlsx = tabular::write_xlsx("e", &heads, &rows).unwrap();
            let csv = tabular::write_csv(&heads, &rows);
            // Into a second, empty database with the same tree.
            let fx2 = Fixture::new().await;
            let cadre2 = fx2.caller(fx2.s1, Role::Cadre);
            for (name, bytes) in [("e.xlsx", &xlsx), ("e.csv", &csv)] {
                let a = analyse(&fx2.db, &cadre2, ImportKind::Enterprises, name, bytes, 100)
                    .await
                    .unwrap();
                assert!(a.is_clean(), "{lang:?} {name}: {:?}", a.preview.errors);
                assert_eq!(a.plans.len(), 2);
            }
        }
        // A viewer's export masks the phone.
        let viewer = fx.caller(fx.s1, Role::Viewer);
        let (rows, shown) = ops::export_rows(&fx.db, &viewer, ImportKind::Enterprises)
            .await
            .unwrap();
        assert_eq!(shown, 0);
        assert!(
            rows.iter()
                .flatten()
                .any(|c| *c == tabular::Cell::Text("138****8000".into()))
        );
    }
}
