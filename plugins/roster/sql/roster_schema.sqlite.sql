-- The roster application's tables, SQLite flavour (the embedded default). Datetimes are 'YYYY-MM-DD HH:MM:SS' UTC.
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL,
    roles TEXT NOT NULL CHECK (json_valid(roles)),
    group_id INTEGER NULL
);

CREATE TABLE IF NOT EXISTS line_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    uri TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    is_active INTEGER NOT NULL DEFAULT 1,
    start_at TEXT NULL,
    end_at TEXT NULL,
    max_attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    line_item_id INTEGER NOT NULL REFERENCES line_items (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('ready', 'started', 'completed', 'cancelled')),
    attempts_count INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_assignments_user ON assignments (user_id, id, state, attempts_count, updated_at, line_item_id);
CREATE INDEX IF NOT EXISTS idx_assignments_line_item ON assignments (line_item_id, user_id);
