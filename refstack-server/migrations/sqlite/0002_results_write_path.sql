-- Cheaper writes of `results`, the table every upload adds ~300 rows to.
--
-- * The foreign key results.test_id -> test.id is dropped: SQLite looks the parent row up
--   for every inserted row. Rows of `results` are only ever inserted in the transaction that
--   creates their run, and `delete_run` deletes them explicitly in the transaction that
--   deletes the run.
-- * The wide UNIQUE (test_id, name) index is replaced by a narrow index on (test_id), which
--   serves the only read (`WHERE test_id = $1 ORDER BY _id`); duplicate names within an
--   upload are refused by the server before its transaction starts. The unique index
--   repeated every test name and was almost as large as the table.
--
-- SQLite cannot drop a constraint: the table is rebuilt (same columns, same `_id` values,
-- same AUTOINCREMENT counter, so ids of deleted rows are still never reused). Nothing
-- references `results`, so dropping the old table triggers no foreign-key action.
--
-- Measured with 1,000 sequential 300-test uploads (298 rows each), per upload, before ->
-- after (this migration plus time-ordered UUIDv7 run ids): file growth 103 -> 70 KB (the
-- unique index was 49 MB next to 56 MB of rows). Details: BENCHMARKS.md, refstack-server,
-- "Write volume per upload".

CREATE TABLE results_new (
    _id INTEGER PRIMARY KEY AUTOINCREMENT,
    test_id VARCHAR(36) NOT NULL,
    name VARCHAR(512) NOT NULL,
    uuid VARCHAR(36)
);
INSERT INTO results_new (_id, test_id, name, uuid)
    SELECT _id, test_id, name, uuid FROM results ORDER BY _id;
DELETE FROM sqlite_sequence WHERE name = 'results_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'results_new', seq FROM sqlite_sequence WHERE name = 'results';
DROP TABLE results;
ALTER TABLE results_new RENAME TO results;
CREATE INDEX ix_results_test_id ON results (test_id);
