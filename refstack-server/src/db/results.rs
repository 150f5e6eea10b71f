//! Test runs (upstream table `test`) and their passed tests (`result_parts`).
//!
//! * [`store_upload`] stores one upload in ONE transaction: the run, every result, the
//!   `user` meta of a signed upload and the auto-association with a product version.
//! * A run's results are stored as parts of its list (migration 0003): each row of
//!   `result_parts` holds up to [`PART_LEN`] consecutive results as two JSON arrays of the
//!   same length, `names` and `uuids` (a uuid or `null`), numbered from 0 in upload order.
//!   They are written whole and read whole ([`results`], [`result_names`]), never searched.
//! * [`list_runs`] / [`count_runs`] serve `GET /v1/results` ([`RunFilter`] carries every
//!   filter; the caller decides the [`Visibility`]).
//! * [`get_run`] + [`result_names`] serve `GET /v1/results/{id}`.
//! * [`set_product_version`], [`set_verification_status`] serve `PUT /v1/results/{id}`;
//!   [`delete_run`] serves `DELETE` (meta and results go with the run).

use std::collections::BTreeMap;

use sqlx::{Database, Encode, QueryBuilder, Type};
use time::PrimitiveDateTime;

use super::versions::VersionInfo;
use super::{
    Db, DbError, DbResult, Dialect, check_text, new_id, now, q, row_struct, with_db, with_db_write,
};

/// Longest `cpid` accepted (upstream `VARCHAR(128)`).
pub const MAX_CPID_LEN: usize = 128;
/// Longest test name accepted (upstream `VARCHAR(512)`).
pub const MAX_NAME_LEN: usize = 512;
/// Longest test uuid accepted (upstream `VARCHAR(36)`).
pub const MAX_UUID_LEN: usize = 36;

/// The most results one row of `result_parts` holds (a 300-test upload is one row).
pub const PART_LEN: usize = 1000;

row_struct! {
    /// One stored test run (a row of `test`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TestRun {
        /// UUID string: a time-ordered UUIDv7 for new rows (older rows may hold uuid4 ids).
        pub id: String,
        /// Cloud provider id sent by the client.
        pub cpid: String,
        /// Duration of the run in seconds.
        pub duration_seconds: i32,
        /// Associated product version, if any.
        pub product_version_id: Option<String>,
        /// 0 = not verified, 1 = verified by the foundation.
        pub verification_status: i32,
        /// Upload time (UTC).
        pub created_at: PrimitiveDateTime,
        /// Last change of association or verification (UTC).
        pub updated_at: Option<PrimitiveDateTime>,
    }
}

/// One passed test of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// Test name without attributes.
    pub name: String,
    /// Tempest idempotent id, if the client sent one.
    pub uuid: Option<String>,
}

/// One result of an upload to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResult {
    /// Test name (at most [`MAX_NAME_LEN`] characters, unique within the run).
    pub name: String,
    /// Test uuid (at most [`MAX_UUID_LEN`] characters).
    pub uuid: Option<String>,
}

/// An upload to store with [`store_upload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTestRun {
    /// Cloud provider id (at most [`MAX_CPID_LEN`] characters).
    pub cpid: String,
    /// Duration in seconds (must fit an `i32`).
    pub duration_seconds: i64,
    /// Passed tests; names must be unique within the run.
    pub results: Vec<NewResult>,
    /// For a signed upload: the openid of the key's owner. It is stored as meta `user`
    /// and enables the auto-association by `cpid`.
    pub uploader: Option<String>,
}

/// A run with its meta and associated product version, as listed and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDetails {
    /// The run itself.
    pub run: TestRun,
    /// Every meta key of the run (including `user`); the HTTP layer filters by role.
    pub meta: BTreeMap<String, String>,
    /// The associated version with its product, if any.
    pub product_version: Option<VersionInfo>,
}

/// Which runs a listing may show. Chosen by the HTTP layer from the caller's role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Default listing: anonymous uploads (no `user` meta) and shared runs (a `shared` meta
    /// row exists).
    #[default]
    Public,
    /// Runs uploaded by this openid (meta `user` equals it), shared or not (`?signed`).
    UploadedBy(String),
    /// No restriction (e.g. an admin listing a product's runs with `?product_id`).
    All,
}

/// Filters of `GET /v1/results`. Every `Some` narrows the listing; all are combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// `created_at >= start_date` (inclusive, UTC).
    pub start_date: Option<PrimitiveDateTime>,
    /// `created_at <= end_date` (inclusive, UTC). Stored times carry microseconds, so a
    /// bound parsed from `... 23:59:59` excludes a run stored at `23:59:59.5`; add
    /// 999 999 µs to a whole-second bound to include that whole second.
    pub end_date: Option<PrimitiveDateTime>,
    /// Exact `cpid`.
    pub cpid: Option<String>,
    /// Exact verification status.
    pub verification_status: Option<i32>,
    /// Runs associated with any version of this product.
    pub product_id: Option<String>,
    /// Visibility rule.
    pub visibility: Visibility,
}

/// One page of [`list_runs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPage {
    /// The runs of the page, newest first.
    pub items: Vec<RunDetails>,
    /// How many runs match the filter in total (all pages).
    pub total: u64,
}

row_struct! {
    /// A `test` row joined with its version and product.
    struct RunRow {
        id: String,
        cpid: String,
        duration_seconds: i32,
        product_version_id: Option<String>,
        verification_status: i32,
        created_at: PrimitiveDateTime,
        updated_at: Option<PrimitiveDateTime>,
        pv_version: Option<String>,
        pv_cpid: Option<String>,
        pv_product_id: Option<String>,
        p_name: Option<String>,
        p_organization_id: Option<String>,
        p_public: Option<bool>,
    }
}

row_struct! {
    struct MetaRow {
        test_id: String,
        meta_key: String,
        value: Option<String>,
    }
}

impl RunRow {
    fn into_details(self, meta: BTreeMap<String, String>) -> RunDetails {
        let product_version = match (
            &self.product_version_id,
            self.pv_product_id,
            self.p_name,
            self.p_organization_id,
        ) {
            (Some(id), Some(product_id), Some(product_name), Some(organization_id)) => {
                Some(VersionInfo {
                    id: id.clone(),
                    product_id,
                    version: self.pv_version,
                    cpid: self.pv_cpid,
                    product_name,
                    organization_id,
                    public: self.p_public.unwrap_or(false),
                })
            }
            _ => None,
        };
        RunDetails {
            run: TestRun {
                id: self.id,
                cpid: self.cpid,
                duration_seconds: self.duration_seconds,
                product_version_id: self.product_version_id,
                verification_status: self.verification_status,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            meta,
            product_version,
        }
    }
}

/// The `SELECT` of a run joined with its version and product (a macro so that `concat!`
/// can extend it into other `&'static str` queries).
macro_rules! run_select {
    () => {
        "SELECT t.id, t.cpid, t.duration_seconds, t.product_version_id, \
     t.verification_status, t.created_at, t.updated_at, pv.version AS pv_version, \
     pv.cpid AS pv_cpid, pv.product_id AS pv_product_id, p.name AS p_name, \
     p.organization_id AS p_organization_id, p.public AS p_public \
     FROM test t LEFT JOIN product_version pv ON pv.id = t.product_version_id \
     LEFT JOIN product p ON p.id = pv.product_id"
    };
}

const TEST_SELECT: &str = "SELECT id, cpid, duration_seconds, product_version_id, \
     verification_status, created_at, updated_at FROM test WHERE id = $1";

/// The `names` and `uuids` JSON arrays of one row of `result_parts`.
fn encode_part(part: &[NewResult]) -> DbResult<(String, String)> {
    let names: Vec<&str> = part.iter().map(|r| r.name.as_str()).collect();
    let uuids: Vec<Option<&str>> = part.iter().map(|r| r.uuid.as_deref()).collect();
    let encode = |e: serde_json::Error| DbError::Backend(sqlx::Error::Encode(Box::new(e)));
    Ok((
        serde_json::to_string(&names).map_err(encode)?,
        serde_json::to_string(&uuids).map_err(encode)?,
    ))
}

/// Decodes one JSON array column of `result_parts`; a value that is not one is reported as
/// [`undecodable`] (only a hand-edited row can hold one).
fn decode_part<T: serde::de::DeserializeOwned>(column: &str, json: &str) -> DbResult<Vec<T>> {
    serde_json::from_str(json).map_err(|e| {
        undecodable(format!(
            "result_parts.{column} is not a JSON array of the expected type: {e}"
        ))
    })
}

/// A stored value this module cannot have written: a decoding error of the database.
fn undecodable(message: String) -> DbError {
    DbError::Backend(sqlx::Error::Decode(message.into()))
}

fn validate(run: &NewTestRun) -> DbResult<i32> {
    check_text("cpid", &run.cpid, MAX_CPID_LEN)?;
    let duration = i32::try_from(run.duration_seconds).map_err(|_| {
        DbError::Invalid(format!(
            "duration_seconds {} is out of range",
            run.duration_seconds
        ))
    })?;
    for result in &run.results {
        check_text("results.name", &result.name, MAX_NAME_LEN)?;
        if let Some(uuid) = &result.uuid {
            check_text("results.uuid", uuid, MAX_UUID_LEN)?;
        }
    }
    if let Some(uploader) = &run.uploader {
        check_text("user", uploader, 128)?;
    }
    Ok(duration)
}

fn first_duplicate(results: &[NewResult]) -> Option<&str> {
    let mut seen = std::collections::HashSet::with_capacity(results.len());
    results
        .iter()
        .map(|r| r.name.as_str())
        .find(|name| !seen.insert(*name))
}

/// Upstream's auto-association of a signed upload: the product version to associate the
/// run with, when exactly one version has `cpid` and `uploader` is a foundation admin or a
/// member of that version's vendor. `None` for an empty `cpid`.
async fn auto_association(db: &Db, uploader: &str, cpid: &str) -> DbResult<Option<String>> {
    if cpid.is_empty() {
        return Ok(None);
    }
    with_db!(db, |pool, DB| {
        let candidates: Vec<(String, String)> = sqlx::query_as(q::<DB>(
            "SELECT pv.id, p.organization_id FROM product_version pv \
             JOIN product p ON p.id = pv.product_id WHERE pv.cpid = $1",
        ))
        .bind(cpid)
        .fetch_all(pool)
        .await?;
        let [(candidate, organization_id)] = candidates.as_slice() else {
            return Ok(None);
        };
        let admin: i64 = sqlx::query_scalar(q::<DB>(
            "SELECT COUNT(*) FROM user_to_group ug \
             JOIN organization o ON o.group_id = ug.group_id \
             WHERE ug.user_openid = $1 AND (o.id = $2 OR o.id = \
             (SELECT f.id FROM organization f WHERE f.type = 0 \
              ORDER BY f.created_at, f.id LIMIT 1))",
        ))
        .bind(uploader)
        .bind(organization_id)
        .fetch_one(pool)
        .await?;
        Ok((admin > 0).then(|| candidate.clone()))
    })
}

/// Stores an upload atomically: either the run with all its results and meta is stored,
/// or nothing is.
///
/// For a signed upload (`uploader` set) the meta `user` is written and the run is
/// associated with a product version as [`auto_association`] finds (read before the write
/// transaction starts, as a read inside it would see the same committed rows on
/// PostgreSQL and MariaDB; on SQLite it keeps the single writer's turn short).
///
/// Errors: [`DbError::Invalid`] for a field over its length limit or an out-of-range
/// duration; [`DbError::Conflict`] when two results share a name (nothing is stored).
pub async fn store_upload(db: &Db, run: &NewTestRun) -> DbResult<TestRun> {
    let duration = validate(run)?;
    // Checked here, before anything is written: the names are stored as JSON arrays
    // (migration 0003), so no index of the database could refuse a repeat.
    if let Some(name) = first_duplicate(&run.results) {
        return Err(DbError::Conflict(format!(
            "results contain the test name {name:?} more than once"
        )));
    }
    let parts = run
        .results
        .chunks(PART_LEN)
        .map(encode_part)
        .collect::<DbResult<Vec<_>>>()?;
    let id = new_id();
    let created_at = now();
    let version_id = match &run.uploader {
        Some(uploader) => auto_association(db, uploader, &run.cpid).await?,
        None => None,
    };
    with_db_write!(db, |pool, DB| {
        async {
            let mut tx = DB::begin_write(pool).await?;
            sqlx::query(q::<DB>(
                "INSERT INTO test (id, cpid, duration_seconds, product_version_id, \
             verification_status, created_at) VALUES ($1, $2, $3, $4, 0, $5)",
            ))
            .bind(&id)
            .bind(&run.cpid)
            .bind(duration)
            .bind(&version_id)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            for (part, (names, uuids)) in (0i32..).zip(&parts) {
                sqlx::query(q::<DB>(
                    "INSERT INTO result_parts (test_id, part, names, uuids) \
                     VALUES ($1, $2, $3, $4)",
                ))
                .bind(&id)
                .bind(part)
                .bind(names)
                .bind(uuids)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(uploader) = &run.uploader {
                sqlx::query(q::<DB>(
                    "INSERT INTO meta (test_id, meta_key, value, created_at) \
                 VALUES ($1, 'user', $2, $3)",
                ))
                .bind(&id)
                .bind(uploader)
                .bind(created_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, DbError>(())
        }
        .await
    })?;
    Ok(TestRun {
        id,
        cpid: run.cpid.clone(),
        duration_seconds: duration,
        product_version_id: version_id,
        verification_status: 0,
        created_at,
        updated_at: None,
    })
}

/// The `test` row alone. [`DbError::NotFound`] if there is no such run.
pub async fn get_test_run(db: &Db, id: &str) -> DbResult<TestRun> {
    let row: Option<TestRun> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(TEST_SELECT))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.ok_or_else(|| DbError::not_found("test run", id))
}

/// A run with its meta and product version. [`DbError::NotFound`] if there is no such run.
pub async fn get_run(db: &Db, id: &str) -> DbResult<RunDetails> {
    with_db!(db, |pool, DB| {
        let row: Option<RunRow> =
            sqlx::query_as(q::<DB>(concat!(run_select!(), " WHERE t.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?;
        let Some(row) = row else {
            return Err(DbError::not_found("test run", id));
        };
        let metas: Vec<MetaRow> = sqlx::query_as(q::<DB>(
            "SELECT test_id, meta_key, value FROM meta WHERE test_id = $1",
        ))
        .bind(id)
        .fetch_all(pool)
        .await?;
        let meta = metas
            .into_iter()
            .map(|m| (m.meta_key, m.value.unwrap_or_default()))
            .collect();
        Ok(row.into_details(meta))
    })
}

/// The passed tests of a run in upload order (empty if the run does not exist).
pub async fn results(db: &Db, test_id: &str) -> DbResult<Vec<TestResult>> {
    let parts: Vec<(String, String)> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT names, uuids FROM result_parts WHERE test_id = $1 ORDER BY part",
        ))
        .bind(test_id)
        .fetch_all(pool)
        .await?
    });
    let mut out = Vec::new();
    for (names, uuids) in parts {
        let names: Vec<String> = decode_part("names", &names)?;
        let uuids: Vec<Option<String>> = decode_part("uuids", &uuids)?;
        if names.len() != uuids.len() {
            return Err(undecodable(format!(
                "result_parts of run {test_id}: {} names but {} uuids",
                names.len(),
                uuids.len()
            )));
        }
        out.extend(
            names
                .into_iter()
                .zip(uuids)
                .map(|(name, uuid)| TestResult { name, uuid }),
        );
    }
    Ok(out)
}

/// The names of the passed tests of a run in upload order (what `GET /v1/results/{id}`
/// returns as `results`).
pub async fn result_names(db: &Db, test_id: &str) -> DbResult<Vec<String>> {
    let parts: Vec<String> = with_db!(db, |pool, DB| {
        sqlx::query_scalar(q::<DB>(
            "SELECT names FROM result_parts WHERE test_id = $1 ORDER BY part",
        ))
        .bind(test_id)
        .fetch_all(pool)
        .await?
    });
    let mut out = Vec::new();
    for names in parts {
        let mut part = decode_part("names", &names)?;
        out.append(&mut part);
    }
    Ok(out)
}

fn push_filters<DB>(qb: &mut QueryBuilder<DB>, filter: &RunFilter)
where
    DB: Database,
    String: for<'q> Encode<'q, DB> + Type<DB>,
    i32: for<'q> Encode<'q, DB> + Type<DB>,
    PrimitiveDateTime: for<'q> Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(start) = filter.start_date {
        qb.push(" AND t.created_at >= ").push_bind(start);
    }
    if let Some(end) = filter.end_date {
        qb.push(" AND t.created_at <= ").push_bind(end);
    }
    if let Some(cpid) = &filter.cpid {
        qb.push(" AND t.cpid = ").push_bind(cpid.clone());
    }
    if let Some(status) = filter.verification_status {
        qb.push(" AND t.verification_status = ").push_bind(status);
    }
    if let Some(product_id) = &filter.product_id {
        qb.push(
            " AND t.product_version_id IN \
             (SELECT fpv.id FROM product_version fpv WHERE fpv.product_id = ",
        )
        .push_bind(product_id.clone())
        .push(")");
    }
    match &filter.visibility {
        Visibility::Public => {
            qb.push(
                " AND (NOT EXISTS (SELECT 1 FROM meta mu WHERE mu.test_id = t.id \
                 AND mu.meta_key = 'user') OR EXISTS (SELECT 1 FROM meta ms \
                 WHERE ms.test_id = t.id AND ms.meta_key = 'shared'))",
            );
        }
        Visibility::UploadedBy(openid) => {
            qb.push(
                " AND EXISTS (SELECT 1 FROM meta mu WHERE mu.test_id = t.id \
                 AND mu.meta_key = 'user' AND mu.value = ",
            )
            .push_bind(openid.clone())
            .push(")");
        }
        Visibility::All => {}
    }
}

/// How many runs match `filter`.
pub async fn count_runs(db: &Db, filter: &RunFilter) -> DbResult<u64> {
    let count: i64 = with_db!(db, |pool, DB| {
        let mut qb = QueryBuilder::<DB>::new("SELECT COUNT(*) FROM test t");
        push_filters(&mut qb, filter);
        qb.build_query_scalar().fetch_one(pool).await?
    });
    Ok(u64::try_from(count).unwrap_or_default())
}

/// One page of the runs matching `filter`, newest first (ties broken by id), with the
/// total count. `page` is 1-based (0 is treated as 1); a page past the end is empty.
pub async fn list_runs(db: &Db, filter: &RunFilter, page: u32, per_page: u32) -> DbResult<RunPage> {
    let total = count_runs(db, filter).await?;
    let per_page = i64::from(per_page.max(1));
    let offset = i64::from(page.max(1) - 1) * per_page;
    if total == 0 || u64::try_from(offset).unwrap_or(u64::MAX) >= total {
        return Ok(RunPage {
            items: Vec::new(),
            total,
        });
    }
    let items = with_db!(db, |pool, DB| {
        let mut qb = QueryBuilder::<DB>::new(run_select!());
        push_filters(&mut qb, filter);
        qb.push(" ORDER BY t.created_at DESC, t.id DESC LIMIT ")
            .push_bind(per_page)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<RunRow> = qb.build_query_as().fetch_all(pool).await?;
        let mut metas: Vec<MetaRow> = Vec::new();
        if !rows.is_empty() {
            let mut mq = QueryBuilder::<DB>::new(
                "SELECT test_id, meta_key, value FROM meta WHERE test_id IN (",
            );
            let mut ids = mq.separated(", ");
            for row in &rows {
                ids.push_bind(row.id.clone());
            }
            mq.push(")");
            metas = mq.build_query_as().fetch_all(pool).await?;
        }
        let mut by_run: std::collections::HashMap<String, BTreeMap<String, String>> =
            std::collections::HashMap::new();
        for m in metas {
            by_run
                .entry(m.test_id)
                .or_default()
                .insert(m.meta_key, m.value.unwrap_or_default());
        }
        rows.into_iter()
            .map(|row| {
                let meta = by_run.remove(&row.id).unwrap_or_default();
                row.into_details(meta)
            })
            .collect::<Vec<_>>()
    });
    Ok(RunPage { items, total })
}

/// Associates a run with a product version (`Some`) or removes the association (`None`).
/// Returns the updated run. [`DbError::NotFound`] names the run or the version that is
/// missing. (Permission and "verified runs are frozen" checks are the caller's.)
pub async fn set_product_version(
    db: &Db,
    id: &str,
    product_version_id: Option<&str>,
) -> DbResult<TestRun> {
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        if let Some(version) = product_version_id {
            let exists: i64 = sqlx::query_scalar(q::<DB>(
                "SELECT COUNT(*) FROM product_version WHERE id = $1",
            ))
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            if exists == 0 {
                return Err(DbError::not_found("product version", version));
            }
        }
        let done = sqlx::query(q::<DB>(
            "UPDATE test SET product_version_id = $1, updated_at = $2 WHERE id = $3",
        ))
        .bind(product_version_id)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::not_found("test run", id));
        }
        let run: TestRun = sqlx::query_as(q::<DB>(TEST_SELECT))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(run)
    })
}

/// Sets the verification status (0 or 1, else [`DbError::Invalid`]) and returns the
/// updated run. (The meta preconditions for 1 are the caller's.)
pub async fn set_verification_status(db: &Db, id: &str, status: i32) -> DbResult<TestRun> {
    if !(0..=1).contains(&status) {
        return Err(DbError::Invalid(format!(
            "Invalid verification_status value: {status}"
        )));
    }
    with_db_write!(db, |pool, DB| {
        let mut tx = DB::begin_write(pool).await?;
        let done = sqlx::query(q::<DB>(
            "UPDATE test SET verification_status = $1, updated_at = $2 WHERE id = $3",
        ))
        .bind(status)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::not_found("test run", id));
        }
        let run: TestRun = sqlx::query_as(q::<DB>(TEST_SELECT))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(run)
    })
}

/// Deletes a run with its results and meta in one statement (`meta` and `result_parts`
/// rows go by their foreign keys' cascade). [`DbError::NotFound`] if it does not exist.
pub async fn delete_run(db: &Db, id: &str) -> DbResult<()> {
    let affected = with_db_write!(db, |pool, DB| {
        sqlx::query(q::<DB>("DELETE FROM test WHERE id = $1"))
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if affected == 0 {
        return Err(DbError::not_found("test run", id));
    }
    Ok(())
}
