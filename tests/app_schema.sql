-- The roster application's tables as its own migrations (Doctrine) make them: exactly SPEC's columns, and on
-- assignments only the single-column indexes of its foreign keys, named the application's way. No roster DDL.
CREATE TABLE users (
    id INT AUTO_INCREMENT NOT NULL,
    username VARCHAR(180) NOT NULL,
    password VARCHAR(255) NOT NULL,
    roles JSON NOT NULL,
    group_id INT DEFAULT NULL,
    UNIQUE INDEX UNIQ_1483A5E9F85E0677 (username),
    PRIMARY KEY (id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB;

CREATE TABLE line_items (
    id INT AUTO_INCREMENT NOT NULL,
    label VARCHAR(255) NOT NULL,
    uri VARCHAR(255) NOT NULL,
    slug VARCHAR(255) NOT NULL,
    is_active TINYINT(1) NOT NULL,
    start_at DATETIME DEFAULT NULL,
    end_at DATETIME DEFAULT NULL,
    max_attempts INT NOT NULL,
    updated_at DATETIME NOT NULL,
    UNIQUE INDEX UNIQ_5D2E6E3A989D9B62 (slug),
    PRIMARY KEY (id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB;

CREATE TABLE assignments (
    id INT AUTO_INCREMENT NOT NULL,
    user_id INT NOT NULL,
    line_item_id INT NOT NULL,
    state VARCHAR(255) NOT NULL,
    attempts_count INT NOT NULL,
    updated_at DATETIME NOT NULL,
    INDEX IDX_308A50DDA76ED395 (user_id),
    INDEX IDX_308A50DD2E3B9C5E (line_item_id),
    PRIMARY KEY (id)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE = InnoDB;

ALTER TABLE assignments ADD CONSTRAINT FK_308A50DDA76ED395 FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE assignments ADD CONSTRAINT FK_308A50DD2E3B9C5E FOREIGN KEY (line_item_id) REFERENCES line_items (id);
