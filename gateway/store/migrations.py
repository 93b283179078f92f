"""The schema, as an ordered list of migrations. Migration i brings a database to version i + 1
(`PRAGMA user_version`). Append only: never edit a migration that has shipped."""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, users and their roles, API keys, login sessions, AI sessions.
    """
    CREATE TABLE accounts (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE users (
        id             TEXT PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash  TEXT,
        created_at     TEXT NOT NULL
    );
    CREATE TABLE user_roles (
        user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role     TEXT NOT NULL,
        PRIMARY KEY (user_id, role)
    );
    CREATE TABLE api_keys (
        key_hash    TEXT PRIMARY KEY,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE logins (
        login_hash  TEXT PRIMARY KEY,
        user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at  REAL NOT NULL
    );
    CREATE TABLE ai_sessions (
        id                  TEXT PRIMARY KEY,
        account_id          TEXT NOT NULL REFERENCES accounts(id),
        purpose             TEXT,
        date_created        TEXT NOT NULL,
        date_last_modified  TEXT NOT NULL,
        created_by          TEXT NOT NULL,
        last_modified_by    TEXT NOT NULL
    );
    CREATE INDEX ai_sessions_by_account ON ai_sessions (account_id);
    CREATE INDEX ai_sessions_by_created ON ai_sessions (date_created, id);
    CREATE INDEX logins_by_expiry ON logins (expires_at);
    """,
    # 2: a version per AI session, for its ETag and If-Match.
    "ALTER TABLE ai_sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    # 3: API keys get an id to list and revoke them by (the key itself is only a digest), a label
    # and the minute of their last use. Keys made before get the digest's first 32 hex digits.
    """
    ALTER TABLE api_keys ADD COLUMN id TEXT;
    ALTER TABLE api_keys ADD COLUMN label TEXT;
    ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
    UPDATE api_keys SET id = substr(key_hash, 1, 32);
    CREATE UNIQUE INDEX api_keys_by_id ON api_keys (id);
    CREATE INDEX api_keys_by_user ON api_keys (user_id);
    """,
)
