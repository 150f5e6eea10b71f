-- Listing runs stays fast however many are stored (issue 15 item 9).
--
-- * `test.listed` says whether the run is in the public list: it has no `user` meta (an
--   anonymous upload) or it has a `shared` meta. Upstream decided it per listed row with
--   two correlated subqueries on `meta`; a page then had to visit every signed run, and
--   counting the list visited every visible run. The flag is written by the server in the
--   same transaction as the meta it follows (upload, meta set / delete).
-- * An index on (listed, created_at, id) serves the list order (newest first, ties by id)
--   for the public list and for the unfiltered list alike.
-- * `run_counts` keeps the exact numbers of runs and of listed runs, as 16 shards that
--   writers pick in turn (one counter row would serialize every upload on its lock); a
--   reader sums them. Filtered lists are still counted with COUNT(*).

ALTER TABLE test ADD COLUMN listed BOOLEAN NOT NULL DEFAULT TRUE;

UPDATE test SET listed = (
    NOT EXISTS (SELECT 1 FROM meta mu WHERE mu.test_id = test.id AND mu.meta_key = 'user')
    OR EXISTS (SELECT 1 FROM meta ms WHERE ms.test_id = test.id AND ms.meta_key = 'shared')
);

CREATE INDEX ix_test_listed_created ON test (listed, created_at, id);

CREATE TABLE run_counts (
    shard INTEGER PRIMARY KEY,
    total BIGINT NOT NULL,
    listed BIGINT NOT NULL
);

INSERT INTO run_counts (shard, total, listed)
    SELECT 0, COUNT(*), COALESCE(SUM(CASE WHEN listed THEN 1 ELSE 0 END), 0) FROM test;
INSERT INTO run_counts (shard, total, listed) VALUES
    (1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 0, 0), (5, 0, 0), (6, 0, 0), (7, 0, 0), (8, 0, 0),
    (9, 0, 0), (10, 0, 0), (11, 0, 0), (12, 0, 0), (13, 0, 0), (14, 0, 0), (15, 0, 0);
