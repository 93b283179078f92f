"""The PostgreSQL schema, as an ordered list of migrations; migration i brings a database to
version i + 1 (the one row of `evo_gateway_schema`). Append only, like `migrations.py`.

It mirrors the SQLite schema so the two stores answer byte for byte alike: every text column is
`COLLATE "C"` (byte order, as SQLite's default BINARY collation sorts UTF-8), and user names are
unique under ASCII-only case folding (SQLite's NOCASE), not the locale's lower().
"""

from __future__ import annotations

__all__ = ["PG_MIGRATIONS", "ascii_fold"]


def ascii_fold(expression: str) -> str:
    """SQL folding A-Z to a-z and nothing else, as SQLite's NOCASE does; immutable, so indexable."""
    return f"translate({expression}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


PG_MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, users and their roles, API keys, login sessions, AI sessions.
    f"""
    CREATE TABLE accounts (
        id          TEXT COLLATE "C" PRIMARY KEY,
        name        TEXT COLLATE "C" NOT NULL UNIQUE,
        created_at  TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE users (
        id             TEXT COLLATE "C" PRIMARY KEY,
        name           TEXT COLLATE "C" NOT NULL,
        password_hash  TEXT COLLATE "C",
        created_at     TEXT COLLATE "C" NOT NULL
    );
    CREATE UNIQUE INDEX users_by_folded_name ON users (({ascii_fold("name")}));
    CREATE TABLE user_roles (
        user_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role     TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (user_id, role)
    );
    CREATE TABLE api_keys (
        key_hash    TEXT COLLATE "C" PRIMARY KEY,
        user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE logins (
        login_hash  TEXT COLLATE "C" PRIMARY KEY,
        user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at  DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE ai_sessions (
        id                  TEXT COLLATE "C" PRIMARY KEY,
        account_id          TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
        purpose             TEXT COLLATE "C",
        date_created        TEXT COLLATE "C" NOT NULL,
        date_last_modified  TEXT COLLATE "C" NOT NULL,
        created_by          TEXT COLLATE "C" NOT NULL,
        last_modified_by    TEXT COLLATE "C" NOT NULL
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
    ALTER TABLE api_keys ADD COLUMN id TEXT COLLATE "C";
    ALTER TABLE api_keys ADD COLUMN label TEXT COLLATE "C";
    ALTER TABLE api_keys ADD COLUMN last_used_at TEXT COLLATE "C";
    UPDATE api_keys SET id = substr(key_hash, 1, 32);
    ALTER TABLE api_keys ALTER COLUMN id SET NOT NULL;
    CREATE UNIQUE INDEX api_keys_by_id ON api_keys (id);
    CREATE INDEX api_keys_by_user ON api_keys (user_id);
    """,
)
