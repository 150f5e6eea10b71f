-- RefStack data model (final state of upstream's 13 alembic revisions), MySQL / MariaDB dialect (InnoDB, utf8mb4, binary collation so that
-- equality and uniqueness are exact, as on the other backends).
-- Ids are uuid4 strings; timestamps are naive UTC (DATETIME(6)).
-- Differences from upstream, all deliberate: the never-used soft-delete columns are left out,
-- `results` carries no timestamps, child rows cascade with their parent (upstream deleted them
-- by hand), memberships and pubkey fingerprints are unique, and `results.name` is NOT NULL.

CREATE TABLE `user` (
    _id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    openid VARCHAR(128) NOT NULL,
    email VARCHAR(128),
    fullname VARCHAR(128),
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT user_openid_uq UNIQUE (openid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE pubkeys (
    id VARCHAR(36) PRIMARY KEY,
    openid VARCHAR(128) NOT NULL,
    format VARCHAR(24) NOT NULL,
    pubkey MEDIUMTEXT NOT NULL,
    md5_hash VARCHAR(32) NOT NULL,
    comment VARCHAR(128),
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT pubkeys_md5_hash_uq UNIQUE (md5_hash),
    CONSTRAINT fk_pubkeys_openid FOREIGN KEY (openid) REFERENCES `user` (openid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_pubkeys_openid ON pubkeys (openid);

CREATE TABLE `group` (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    description MEDIUMTEXT,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE user_to_group (
    _id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    group_id VARCHAR(36) NOT NULL,
    user_openid VARCHAR(128) NOT NULL,
    created_by_user VARCHAR(128) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT user_to_group_uq UNIQUE (group_id, user_openid),
    CONSTRAINT fk_user_to_group_group_id FOREIGN KEY (group_id) REFERENCES `group` (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_to_group_user_openid FOREIGN KEY (user_openid) REFERENCES `user` (openid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_user_to_group_user_openid ON user_to_group (user_openid);

CREATE TABLE organization (
    id VARCHAR(36) PRIMARY KEY,
    type INTEGER NOT NULL,
    name VARCHAR(80) NOT NULL,
    description MEDIUMTEXT,
    group_id VARCHAR(36) NOT NULL,
    created_by_user VARCHAR(128) NOT NULL,
    properties MEDIUMTEXT,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT fk_organization_group_id FOREIGN KEY (group_id) REFERENCES `group` (id),
    CONSTRAINT fk_organization_created_by_user FOREIGN KEY (created_by_user) REFERENCES `user` (openid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_organization_group_id ON organization (group_id);

CREATE TABLE product (
    id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(80) NOT NULL,
    description MEDIUMTEXT,
    organization_id VARCHAR(36) NOT NULL,
    created_by_user VARCHAR(128) NOT NULL,
    public TINYINT(1) NOT NULL,
    properties MEDIUMTEXT,
    type INTEGER NOT NULL,
    product_type INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT fk_product_organization_id FOREIGN KEY (organization_id) REFERENCES organization (id) ON DELETE CASCADE,
    CONSTRAINT fk_product_created_by_user FOREIGN KEY (created_by_user) REFERENCES `user` (openid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_product_organization_id ON product (organization_id);

CREATE TABLE product_version (
    id VARCHAR(36) PRIMARY KEY,
    product_id VARCHAR(36) NOT NULL,
    version VARCHAR(36),
    cpid VARCHAR(36),
    created_by_user VARCHAR(128) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT prod_ver_uc UNIQUE (product_id, version),
    CONSTRAINT fk_product_version_product_id FOREIGN KEY (product_id) REFERENCES product (id) ON DELETE CASCADE,
    CONSTRAINT fk_product_version_created_by_user FOREIGN KEY (created_by_user) REFERENCES `user` (openid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_product_version_cpid ON product_version (cpid);

CREATE TABLE test (
    id VARCHAR(36) PRIMARY KEY,
    cpid VARCHAR(128) NOT NULL,
    duration_seconds INTEGER NOT NULL,
    product_version_id VARCHAR(36),
    verification_status INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT fk_test_prod_version_id FOREIGN KEY (product_version_id) REFERENCES product_version (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_test_created_at ON test (created_at);
CREATE INDEX ix_test_cpid ON test (cpid);
CREATE INDEX ix_test_product_version_id ON test (product_version_id);

CREATE TABLE results (
    _id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    test_id VARCHAR(36) NOT NULL,
    name VARCHAR(512) NOT NULL,
    uuid VARCHAR(36),
    CONSTRAINT results_test_id_name_uq UNIQUE (test_id, name),
    CONSTRAINT fk_results_test_id FOREIGN KEY (test_id) REFERENCES test (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE meta (
    _id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    test_id VARCHAR(36) NOT NULL,
    meta_key VARCHAR(64) NOT NULL,
    value MEDIUMTEXT,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6),
    CONSTRAINT meta_test_id_key_uq UNIQUE (test_id, meta_key),
    CONSTRAINT fk_meta_test_id FOREIGN KEY (test_id) REFERENCES test (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX indx_meta_value ON meta (meta_key, value(32));
