-- Cheaper writes of `results`, the table every upload adds ~300 rows to.
--
-- * The foreign key results.test_id -> test.id is dropped: PostgreSQL checks it with one
--   trigger call per inserted row, ~45 % of the results INSERT's time (EXPLAIN ANALYZE:
--   `Trigger for constraint results_test_id_fkey: time=0.95 ms calls=298` of 2.14 ms).
--   Rows of `results` are only ever inserted in the transaction that creates their run,
--   and `delete_run` deletes them explicitly in the transaction that deletes the run.
-- * The wide UNIQUE (test_id, name) index is replaced by a narrow index on (test_id), which
--   serves the only read (`WHERE test_id = $1 ORDER BY _id`); duplicate names within an
--   upload are refused by the server before its transaction starts. Under random (uuid4)
--   run ids the unique index was larger than the table itself.
--
-- Measured with 1,000 sequential 300-test uploads (298 rows each) on PostgreSQL 15, per
-- upload, before -> after (this migration plus time-ordered UUIDv7 run ids): WAL
-- 197 -> 121 KB, `results` growth 160 -> 72 KB (the unique index alone had grown to 92 MB
-- for 64 MB of rows), backend CPU 2.9-3.6 -> 1.6-1.8 ms; the results INSERT alone
-- 2.14 -> 0.82 ms. Details: BENCHMARKS.md, refstack-server, "Write volume per upload".

CREATE INDEX ix_results_test_id ON results (test_id);
ALTER TABLE results DROP CONSTRAINT results_test_id_fkey;
ALTER TABLE results DROP CONSTRAINT results_test_id_name_uq;
