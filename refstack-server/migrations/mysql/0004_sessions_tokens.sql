-- Sign-in (issue 12): browser sessions, personal API tokens and pending OpenID Connect
-- sign-ins, all server-side so that any number of server processes share them.
--
-- Secrets are never stored: `sessions.id_hash`, `api_tokens.token_hash` and
-- `auth_states.state_hash` are hex SHA-256 digests of high-entropy random values that only
-- the browser (cookie) or the user (token) holds. Each is looked up by its primary key or a
-- unique index: one indexed lookup per authenticated request.

CREATE TABLE sessions (
    id_hash VARCHAR(64) PRIMARY KEY,
    openid VARCHAR(128) NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    CONSTRAINT fk_sessions_openid FOREIGN KEY (openid) REFERENCES `user` (openid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_sessions_openid ON sessions (openid);
CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
    id VARCHAR(36) PRIMARY KEY,
    token_hash VARCHAR(64) NOT NULL,
    openid VARCHAR(128) NOT NULL,
    name VARCHAR(128) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6),
    CONSTRAINT api_tokens_token_hash_uq UNIQUE (token_hash),
    CONSTRAINT fk_api_tokens_openid FOREIGN KEY (openid) REFERENCES `user` (openid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_api_tokens_openid ON api_tokens (openid);

CREATE TABLE auth_states (
    state_hash VARCHAR(64) PRIMARY KEY,
    nonce VARCHAR(128) NOT NULL,
    pkce_verifier VARCHAR(128) NOT NULL,
    next_path VARCHAR(512),
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_auth_states_expires_at ON auth_states (expires_at);
