-- Full results (issue 13 item 2): a run's whole subunit stream, uploaded once with
-- `PUT /v1/results/{id}/stream` after the run itself.
--
-- `test_streams` holds one row per run that has a stream (the primary key makes the
-- upload once-only: a second one is a conflict): where the raw stream is kept (the key of
-- a content-addressed blob, compressed, in the configured blob store), its size and what
-- parsing it found.
--
-- `outcome_parts` holds every test of the stream, not only the passed ones, as parts of
-- up to 1,000 tests in stream order (as `result_parts` does for the passed names, and for
-- the same reason: written whole by one upload, read whole by reports, never searched).
-- Each part is a JSON array of `[test id, status, duration in microseconds or null,
-- skip reason or null, traceback or null]` (the traceback capped at the server's
-- `streams.traceback_limit`). Both tables go with their run.

CREATE TABLE test_streams (
    test_id VARCHAR(36) NOT NULL PRIMARY KEY,
    blob_key VARCHAR(255) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    encoding VARCHAR(16) NOT NULL,
    format VARCHAR(2) NOT NULL,
    stream_bytes BIGINT NOT NULL,
    stored_bytes BIGINT NOT NULL,
    packets BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    tests BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT fk_test_streams_test_id FOREIGN KEY (test_id) REFERENCES test (id) ON DELETE CASCADE
);

CREATE TABLE outcome_parts (
    test_id VARCHAR(36) NOT NULL,
    part INTEGER NOT NULL,
    outcomes TEXT NOT NULL,
    PRIMARY KEY (test_id, part),
    CONSTRAINT fk_outcome_parts_test_id FOREIGN KEY (test_id) REFERENCES test_streams (test_id) ON DELETE CASCADE
);

-- As `result_parts` (migration 0003): lz4 where the server has it.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE outcome_parts ALTER COLUMN outcomes SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'outcome_parts keeps the default compression: %', SQLERRM;
END
$$;
