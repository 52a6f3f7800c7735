-- The application's tables in SQLite, as its migrations make them: plain single-column indexes only.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username VARCHAR(180) NOT NULL,
    password VARCHAR(255) NOT NULL,
    roles CLOB NOT NULL,
    group_id INTEGER DEFAULT NULL
);
CREATE UNIQUE INDEX UNIQ_1483A5E9F85E0677 ON users (username);

CREATE TABLE line_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    label VARCHAR(255) NOT NULL,
    uri VARCHAR(255) NOT NULL,
    slug VARCHAR(255) NOT NULL,
    is_active BOOLEAN NOT NULL,
    start_at DATETIME DEFAULT NULL,
    end_at DATETIME DEFAULT NULL,
    max_attempts INTEGER NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX UNIQ_5D2E6E3A989D9B62 ON line_items (slug);

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    line_item_id INTEGER NOT NULL REFERENCES line_items (id),
    state VARCHAR(255) NOT NULL,
    attempts_count INTEGER NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX IDX_308A50DDA76ED395 ON assignments (user_id);
CREATE INDEX IDX_308A50DD2E3B9C5E ON assignments (line_item_id);
