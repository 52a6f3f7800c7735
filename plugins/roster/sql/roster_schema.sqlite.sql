-- The roster application's tables on SQLite (the embedded default), exactly as the application's own tool makes
-- them: the recorded output of Doctrine ORM's SchemaTool on a mapping of SPEC's data model (tests/doctrine/mapping).
-- tests/warmup/test_doctrine_schema.py regenerates it and fails on any difference. Datetimes are stored as
-- 'YYYY-MM-DD HH:MM:SS' UTC text.
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, username VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL, roles CLOB NOT NULL --(DC2Type:json)
, group_id VARCHAR(255) DEFAULT NULL);
CREATE UNIQUE INDEX UNIQ_1483A5E9F85E0677 ON users (username);
CREATE TABLE line_items (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, label VARCHAR(255) NOT NULL, uri VARCHAR(255) NOT NULL, slug VARCHAR(255) NOT NULL, is_active BOOLEAN NOT NULL, start_at DATETIME DEFAULT NULL, end_at DATETIME DEFAULT NULL, max_attempts INTEGER DEFAULT 0, updated_at DATETIME DEFAULT NULL);
CREATE UNIQUE INDEX UNIQ_1E9ACECE989D9B62 ON line_items (slug);
CREATE TABLE assignments (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, user_id INTEGER DEFAULT NULL, line_item_id INTEGER NOT NULL, state VARCHAR(255) NOT NULL, attempts_count INTEGER DEFAULT 0, updated_at DATETIME DEFAULT NULL, CONSTRAINT FK_308A50DDA76ED395 FOREIGN KEY (user_id) REFERENCES users (id) NOT DEFERRABLE INITIALLY IMMEDIATE, CONSTRAINT FK_308A50DDA7CBD339 FOREIGN KEY (line_item_id) REFERENCES line_items (id) NOT DEFERRABLE INITIALLY IMMEDIATE);
CREATE INDEX IDX_308A50DDA76ED395 ON assignments (user_id);
CREATE INDEX IDX_308A50DDA7CBD339 ON assignments (line_item_id);
