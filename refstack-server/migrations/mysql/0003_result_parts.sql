-- The passed tests of a run are stored as PARTS of its result list instead of one row per
-- test: `result_parts` holds up to 1,000 consecutive results per row, as two JSON arrays of
-- the same length (`names`: the test names; `uuids`: each test's uuid or null), numbered
-- from 0 in upload order. A run of 300 tests is ONE row.
--
-- Why: results are only ever written whole (by the upload that creates the run) and read
-- whole (`GET /v1/results/{id}`, compliance), never searched by name. A row per test cost
-- every upload ~300 row inserts and ~600 index inserts, and MariaDB could not keep up with
-- the load benchmark's upload rate. Measured figures: BENCHMARKS.md, refstack-server,
-- "Result parts".
--
-- The 1,000-test bound keeps each value far below max_allowed_packet whatever the upload's
-- size. Rows reference their run again (the foreign key cascades on delete).
--
-- Existing rows of `results` are copied in `_id` order, then the table is dropped and a
-- view of the same name and columns takes its place.
-- JSON_ARRAYAGG is cut at group_concat_max_len (1 MiB by default): raised for this session
-- to 64 MiB, far above the largest part (1,000 names of at most 512 characters).

CREATE TABLE result_parts (
    test_id VARCHAR(36) NOT NULL,
    part INT NOT NULL,
    names LONGTEXT NOT NULL,
    uuids LONGTEXT NOT NULL,
    PRIMARY KEY (test_id, part),
    CONSTRAINT fk_result_parts_test_id FOREIGN KEY (test_id) REFERENCES test (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

SET SESSION group_concat_max_len = 67108864;

INSERT INTO result_parts (test_id, part, names, uuids)
SELECT test_id, part, JSON_ARRAYAGG(name ORDER BY _id), JSON_ARRAYAGG(uuid ORDER BY _id)
FROM (
    SELECT r._id, r.test_id, r.name, r.uuid,
        (ROW_NUMBER() OVER (PARTITION BY r.test_id ORDER BY r._id) - 1) DIV 1000 AS part
    FROM results r JOIN test t ON t.id = r.test_id
) numbered
GROUP BY test_id, part;

DROP TABLE results;

-- Upstream's `results` (table and column names of refstack-v1-api.md section 4) stays
-- queryable as a view: one row per passed test; `_id` is its 1-based position in the run.
-- (JSON_TABLE: MariaDB 10.6 or MySQL 8.0 and later.)
CREATE VIEW results AS
SELECT p.part * 1000 + n.pos AS _id, p.test_id, n.name, u.uuid
FROM result_parts p
JOIN JSON_TABLE(p.names, '$[*]' COLUMNS (
    pos FOR ORDINALITY,
    name VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$'
)) n
JOIN JSON_TABLE(p.uuids, '$[*]' COLUMNS (
    pos FOR ORDINALITY,
    uuid VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$'
)) u ON u.pos = n.pos;
