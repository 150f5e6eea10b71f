-- Cheaper writes of `results`, the table every upload adds ~300 rows to.
--
-- * The foreign key results.test_id -> test.id is dropped: PostgreSQL checks it with one
--   trigger call per inserted row, a third of the database CPU of a 300-test upload
--   (EXPLAIN ANALYZE: `Trigger for constraint results_test_id_fkey: time=1.3 ms calls=300`).
--   Rows of `results` are only ever inserted in the transaction that creates their run,
--   and `delete_run` deletes them explicitly in the transaction that deletes the run.
-- * The wide UNIQUE (test_id, name) index is replaced by a narrow index on (test_id), which
--   serves the only read (`WHERE test_id = $1 ORDER BY _id`); duplicate names within an
--   upload are refused by the server before its transaction starts. Under random (uuid4)
--   run ids the unique index was larger than the table itself.
--
-- Measured with 1,000 sequential 300-test uploads (BENCHMARKS.md, "refstack-server",
-- "Write volume per upload"): see the figures there; in short WAL and table growth per
-- upload fall by about half and the backend CPU by about a third.

CREATE INDEX ix_results_test_id ON results (test_id);
ALTER TABLE results DROP CONSTRAINT results_test_id_fkey;
ALTER TABLE results DROP CONSTRAINT results_test_id_name_uq;
