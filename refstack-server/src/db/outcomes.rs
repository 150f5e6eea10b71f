//! A run's full subunit stream (migration 0006): where its raw bytes are kept
//! (`test_streams`) and every test's outcome (`outcome_parts`).
//!
//! * [`store_stream`] writes the stream's row and all its outcome parts in ONE
//!   transaction; a second stream for the same run is a [`DbError::Conflict`] (the
//!   primary key of `test_streams`), nothing written.
//! * Outcomes are stored as parts of up to [`OUTCOME_PART_LEN`] tests in stream order, each
//!   a JSON array of `[id, status, duration_us, reason, traceback]` (written whole, read
//!   whole: [`outcomes`]), as `result_parts` stores passed names.

use time::PrimitiveDateTime;

use super::{Db, DbError, DbResult, Dialect, now, q, row_struct, with_db, with_db_write};

/// The most outcomes one row of `outcome_parts` holds.
pub const OUTCOME_PART_LEN: usize = 1000;

/// The status of a stored outcome, as python-subunit names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeStatus {
    /// `success`.
    Success,
    /// `fail`.
    Fail,
    /// `skip`.
    Skip,
    /// `xfail`.
    ExpectedFail,
    /// `uxsuccess`.
    UnexpectedSuccess,
    /// `inprogress`: started, never finished.
    InProgress,
    /// `exists`: only enumerated.
    Exists,
}

impl OutcomeStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Fail => "fail",
            Self::Skip => "skip",
            Self::ExpectedFail => "xfail",
            Self::UnexpectedSuccess => "uxsuccess",
            Self::InProgress => "inprogress",
            Self::Exists => "exists",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "success" => Self::Success,
            "fail" => Self::Fail,
            "skip" => Self::Skip,
            "xfail" => Self::ExpectedFail,
            "uxsuccess" => Self::UnexpectedSuccess,
            "inprogress" => Self::InProgress,
            "exists" => Self::Exists,
            _ => return None,
        })
    }
}

/// One test of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutcome {
    /// The full test id (attributes included).
    pub id: String,
    /// Its final status.
    pub status: OutcomeStatus,
    /// How long it took, in microseconds.
    pub duration_us: Option<u64>,
    /// The skip reason.
    pub reason: Option<String>,
    /// The traceback (already capped by the caller).
    pub traceback: Option<String>,
}

row_struct! {
    /// A row of `test_streams`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct StreamInfo {
        /// The run.
        pub test_id: String,
        /// The blob store key of the raw stream.
        pub blob_key: String,
        /// SHA-256 of the stored blob, lowercase hex.
        pub sha256: String,
        /// `identity`, `gzip` or `zstd` (how the client sent it).
        pub encoding: String,
        /// `v1` or `v2`.
        pub format: String,
        /// Subunit bytes (decompressed).
        pub stream_bytes: i64,
        /// Bytes in the blob store.
        pub stored_bytes: i64,
        /// Packets parsed.
        pub packets: i64,
        /// Rejected packet candidates.
        pub rejected: i64,
        /// Tests in the stream.
        pub tests: i64,
        /// When it was stored (UTC).
        pub created_at: PrimitiveDateTime,
    }
}

/// A stream's outcomes encoded as the parts `outcome_parts` stores: made
/// with [`EncodedOutcomes::encode`] (on the caller's thread, e.g. the one
/// that parsed the stream), written by [`store_stream`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedOutcomes {
    parts: Vec<String>,
    tests: u64,
}

impl EncodedOutcomes {
    /// Encodes every test, in stream order.
    pub fn encode(outcomes: &[StoredOutcome]) -> DbResult<Self> {
        Ok(Self {
            parts: outcomes
                .chunks(OUTCOME_PART_LEN)
                .map(encode_part)
                .collect::<DbResult<Vec<_>>>()?,
            tests: outcomes.len() as u64,
        })
    }

    /// How many tests.
    pub fn tests(&self) -> u64 {
        self.tests
    }
}

/// A stream to store with [`store_stream`] (`created_at` is set there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStream {
    /// The run.
    pub test_id: String,
    /// See [`StreamInfo`].
    pub blob_key: String,
    /// See [`StreamInfo`].
    pub sha256: String,
    /// See [`StreamInfo`].
    pub encoding: String,
    /// See [`StreamInfo`].
    pub format: String,
    /// See [`StreamInfo`].
    pub stream_bytes: u64,
    /// See [`StreamInfo`].
    pub stored_bytes: u64,
    /// See [`StreamInfo`].
    pub packets: u64,
    /// See [`StreamInfo`].
    pub rejected: u64,
    /// Every test, in stream order.
    pub outcomes: EncodedOutcomes,
}

type Row<'a> = (
    &'a str,
    &'static str,
    Option<u64>,
    Option<&'a str>,
    Option<&'a str>,
);

type OwnedRow = (String, String, Option<u64>, Option<String>, Option<String>);

fn encode_part(part: &[StoredOutcome]) -> DbResult<String> {
    let rows: Vec<Row<'_>> = part
        .iter()
        .map(|o| {
            (
                o.id.as_str(),
                o.status.as_str(),
                o.duration_us,
                o.reason.as_deref(),
                o.traceback.as_deref(),
            )
        })
        .collect();
    serde_json::to_string(&rows).map_err(|e| DbError::Backend(sqlx::Error::Encode(Box::new(e))))
}

fn i64_of(field: &str, v: u64) -> DbResult<i64> {
    i64::try_from(v).map_err(|_| DbError::Invalid(format!("{field} {v} is out of range")))
}

/// Stores a stream's row and its outcomes atomically. [`DbError::Conflict`] when the run
/// already has a stream; [`DbError::InUse`] (a foreign key) when the run does not exist.
pub async fn store_stream(db: &Db, s: &NewStream) -> DbResult<()> {
    let parts = &s.outcomes.parts;
    let stream_bytes = i64_of("stream_bytes", s.stream_bytes)?;
    let stored_bytes = i64_of("stored_bytes", s.stored_bytes)?;
    let packets = i64_of("packets", s.packets)?;
    let rejected = i64_of("rejected", s.rejected)?;
    let tests = i64_of("tests", s.outcomes.tests)?;
    let created_at = now();
    with_db_write!(db, |pool, DB| {
        async {
            let mut tx = DB::begin_write(pool).await?;
            sqlx::query(q::<DB>(
                "INSERT INTO test_streams (test_id, blob_key, sha256, encoding, format, \
                 stream_bytes, stored_bytes, packets, rejected, tests, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            ))
            .bind(&s.test_id)
            .bind(&s.blob_key)
            .bind(&s.sha256)
            .bind(&s.encoding)
            .bind(&s.format)
            .bind(stream_bytes)
            .bind(stored_bytes)
            .bind(packets)
            .bind(rejected)
            .bind(tests)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            for (part, outcomes) in (0i32..).zip(parts) {
                sqlx::query(q::<DB>(
                    "INSERT INTO outcome_parts (test_id, part, outcomes) VALUES ($1, $2, $3)",
                ))
                .bind(&s.test_id)
                .bind(part)
                .bind(outcomes)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, DbError>(())
        }
        .await
    })
}

/// The stream row of a run, if it has one.
pub async fn stream_info(db: &Db, test_id: &str) -> DbResult<Option<StreamInfo>> {
    Ok(with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT test_id, blob_key, sha256, encoding, format, stream_bytes, stored_bytes, \
             packets, rejected, tests, created_at FROM test_streams WHERE test_id = $1",
        ))
        .bind(test_id)
        .fetch_optional(pool)
        .await?
    }))
}

/// Whether a run has a stream.
pub async fn has_stream(db: &Db, test_id: &str) -> DbResult<bool> {
    let n: i64 = with_db!(db, |pool, DB| {
        sqlx::query_scalar(q::<DB>(
            "SELECT COUNT(*) FROM test_streams WHERE test_id = $1",
        ))
        .bind(test_id)
        .fetch_one(pool)
        .await?
    });
    Ok(n > 0)
}

/// Every test of a run's stream in stream order (empty without a stream). A part that
/// does not decode (only a hand-edited row can hold one) is a [`DbError::Backend`].
pub async fn outcomes(db: &Db, test_id: &str) -> DbResult<Vec<StoredOutcome>> {
    let parts: Vec<(String,)> = with_db!(db, |pool, DB| {
        sqlx::query_as(q::<DB>(
            "SELECT outcomes FROM outcome_parts WHERE test_id = $1 ORDER BY part",
        ))
        .bind(test_id)
        .fetch_all(pool)
        .await?
    });
    let undecodable = |m: String| DbError::Backend(sqlx::Error::Decode(m.into()));
    let mut out = Vec::new();
    for (json,) in parts {
        let rows: Vec<OwnedRow> = serde_json::from_str(&json).map_err(|e| {
            undecodable(format!(
                "outcome_parts.outcomes of run {test_id} is not a JSON array of outcomes: {e}"
            ))
        })?;
        for (id, status, duration_us, reason, traceback) in rows {
            let status = OutcomeStatus::parse(&status).ok_or_else(|| {
                undecodable(format!(
                    "outcome_parts of run {test_id}: unknown status {status:?}"
                ))
            })?;
            out.push(StoredOutcome {
                id,
                status,
                duration_us,
                reason,
                traceback,
            });
        }
    }
    Ok(out)
}
