-- Cheaper writes of `results`, the table every upload adds ~300 rows to.
--
-- * The foreign key results.test_id -> test.id is dropped: InnoDB checks it per inserted
--   row (a lookup and a shared lock on the parent record). Rows of `results` are only ever
--   inserted in the transaction that creates their run, and `delete_run` deletes them
--   explicitly in the transaction that deletes the run.
-- * The wide UNIQUE (test_id, name) index is replaced by a narrow index on (test_id), which
--   serves the only read (`WHERE test_id = ? ORDER BY _id`); duplicate names within an
--   upload are refused by the server before its transaction starts. Each entry of the
--   unique index repeated the test name (~100 bytes) and was inserted at a random place
--   under uuid4 run ids.
--
-- Measured with 1,000 sequential 300-test uploads (298 rows each) on MariaDB 10.11, per
-- upload, before -> after (this migration plus time-ordered UUIDv7 run ids): redo
-- (Innodb_os_log_written) 95 -> 75 KB, results.ibd growth 127 -> 83 KB, mariadbd CPU
-- 2.1-2.4 -> 1.8-2.0 ms. Details: BENCHMARKS.md, refstack-server, "Write volume per upload".

ALTER TABLE results DROP FOREIGN KEY fk_results_test_id;
ALTER TABLE results ADD INDEX ix_results_test_id (test_id), DROP INDEX results_test_id_name_uq;
