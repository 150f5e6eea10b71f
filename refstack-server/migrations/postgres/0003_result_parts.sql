-- The passed tests of a run are stored as PARTS of its result list instead of one row per
-- test: `result_parts` holds up to 1,000 consecutive results per row, as two JSON arrays of
-- the same length (`names`: the test names; `uuids`: each test's uuid or null), numbered
-- from 0 in upload order. A run of 300 tests is ONE row.
--
-- Why: results are only ever written whole (by the upload that creates the run) and read
-- whole (`GET /v1/results/{id}`, compliance), never searched by name. A row per test cost
-- every upload ~300 heap inserts and ~600 index inserts; that was ~1.1 ms of PostgreSQL
-- CPU per upload and 120 KB of WAL, the load benchmark's bottleneck at 20x upstream's
-- upload rate. Measured figures: BENCHMARKS.md, refstack-server, "Result parts".
--
-- The 1,000-test bound keeps each value small whatever the upload's size. Rows reference
-- their run again (the foreign key cascades on delete).
--
-- Existing rows of `results` are copied in `_id` order, then the table is dropped and a
-- view of the same name and columns takes its place.

CREATE TABLE result_parts (
    test_id VARCHAR(36) NOT NULL REFERENCES test (id) ON DELETE CASCADE,
    part INTEGER NOT NULL,
    names TEXT NOT NULL,
    uuids TEXT NOT NULL,
    PRIMARY KEY (test_id, part)
);

-- The arrays are compressed with lz4 where the server has it (PostgreSQL 14 and later,
-- built with lz4, as Debian's and the PGDG packages are): per 300-test upload 0.8 ms of
-- backend CPU instead of 1.2-1.4 ms with the default pglz, for the same size.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE result_parts ALTER COLUMN names SET COMPRESSION lz4, '
        'ALTER COLUMN uuids SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'result_parts keeps the default compression: %', SQLERRM;
END
$$;

INSERT INTO result_parts (test_id, part, names, uuids)
SELECT test_id, part, json_agg(name ORDER BY _id)::TEXT, json_agg(uuid ORDER BY _id)::TEXT
FROM (
    SELECT r._id, r.test_id, r.name, r.uuid,
        (ROW_NUMBER() OVER (PARTITION BY r.test_id ORDER BY r._id) - 1) / 1000 AS part
    FROM results r JOIN test t ON t.id = r.test_id
) numbered
GROUP BY test_id, part;

DROP TABLE results;

-- Upstream's `results` (table and column names of refstack-v1-api.md section 4) stays
-- queryable as a view: one row per passed test; `_id` is its 1-based position in the run.
CREATE VIEW results AS
SELECT p.part * 1000 + e.n AS _id, p.test_id, e.name::VARCHAR(512) AS name,
    e.uuid::VARCHAR(36) AS uuid
FROM result_parts p
CROSS JOIN LATERAL ROWS FROM (
    json_array_elements_text(p.names::JSON),
    json_array_elements_text(p.uuids::JSON)
) WITH ORDINALITY AS e(name, uuid, n);
