-- RefStack data model (final state of upstream's 13 alembic revisions), PostgreSQL dialect.
-- Ids are uuid4 strings; timestamps are naive UTC (TIMESTAMP WITHOUT TIME ZONE, microseconds).
-- Differences from upstream, all deliberate: the never-used soft-delete columns are left out,
-- `results` carries no timestamps, child rows cascade with their parent (upstream deleted them
-- by hand), memberships and pubkey fingerprints are unique, and `results.name` is NOT NULL.

CREATE TABLE "user" (
    _id SERIAL PRIMARY KEY,
    openid VARCHAR(128) NOT NULL,
    email VARCHAR(128),
    fullname VARCHAR(128),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    CONSTRAINT user_openid_uq UNIQUE (openid)
);

CREATE TABLE pubkeys (
    id VARCHAR(36) PRIMARY KEY,
    openid VARCHAR(128) NOT NULL REFERENCES "user" (openid) ON DELETE CASCADE,
    format VARCHAR(24) NOT NULL,
    pubkey TEXT NOT NULL,
    md5_hash VARCHAR(32) NOT NULL,
    comment VARCHAR(128),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    CONSTRAINT pubkeys_md5_hash_uq UNIQUE (md5_hash)
);
CREATE INDEX ix_pubkeys_openid ON pubkeys (openid);

CREATE TABLE "group" (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP
);

CREATE TABLE user_to_group (
    _id SERIAL PRIMARY KEY,
    group_id VARCHAR(36) NOT NULL REFERENCES "group" (id) ON DELETE CASCADE,
    user_openid VARCHAR(128) NOT NULL REFERENCES "user" (openid) ON DELETE CASCADE,
    created_by_user VARCHAR(128) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    CONSTRAINT user_to_group_uq UNIQUE (group_id, user_openid)
);
CREATE INDEX ix_user_to_group_user_openid ON user_to_group (user_openid);

CREATE TABLE organization (
    id VARCHAR(36) PRIMARY KEY,
    type INTEGER NOT NULL,
    name VARCHAR(80) NOT NULL,
    description TEXT,
    group_id VARCHAR(36) NOT NULL REFERENCES "group" (id),
    created_by_user VARCHAR(128) NOT NULL REFERENCES "user" (openid),
    properties TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP
);
CREATE INDEX ix_organization_group_id ON organization (group_id);

CREATE TABLE product (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    description TEXT,
    organization_id VARCHAR(36) NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    created_by_user VARCHAR(128) NOT NULL REFERENCES "user" (openid),
    public BOOLEAN NOT NULL,
    properties TEXT,
    type INTEGER NOT NULL,
    product_type INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP
);
CREATE INDEX ix_product_organization_id ON product (organization_id);

CREATE TABLE product_version (
    id VARCHAR(36) PRIMARY KEY,
    product_id VARCHAR(36) NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    version VARCHAR(36),
    cpid VARCHAR(36),
    created_by_user VARCHAR(128) NOT NULL REFERENCES "user" (openid),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    CONSTRAINT prod_ver_uc UNIQUE (product_id, version)
);
CREATE INDEX ix_product_version_cpid ON product_version (cpid);

CREATE TABLE test (
    id VARCHAR(36) PRIMARY KEY,
    cpid VARCHAR(128) NOT NULL,
    duration_seconds INTEGER NOT NULL,
    product_version_id VARCHAR(36) REFERENCES product_version (id),
    verification_status INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP
);
CREATE INDEX ix_test_created_at ON test (created_at);
CREATE INDEX ix_test_cpid ON test (cpid);
CREATE INDEX ix_test_product_version_id ON test (product_version_id);

CREATE TABLE results (
    _id BIGSERIAL PRIMARY KEY,
    test_id VARCHAR(36) NOT NULL REFERENCES test (id) ON DELETE CASCADE,
    name VARCHAR(512) NOT NULL,
    uuid VARCHAR(36),
    CONSTRAINT results_test_id_name_uq UNIQUE (test_id, name)
);

CREATE TABLE meta (
    _id SERIAL PRIMARY KEY,
    test_id VARCHAR(36) NOT NULL REFERENCES test (id) ON DELETE CASCADE,
    meta_key VARCHAR(64) NOT NULL,
    value TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    CONSTRAINT meta_test_id_key_uq UNIQUE (test_id, meta_key)
);
-- Upstream indexes value(32); a hash index serves the same equality lookups (meta user = openid)
-- without PostgreSQL's btree row size limit on long values.
CREATE INDEX indx_meta_value ON meta USING hash (value);
