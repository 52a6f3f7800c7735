-- The roster application's tables on MySQL/MariaDB, exactly as the application's own tool makes them: the recorded
-- output of Doctrine ORM's SchemaTool (doctrine:schema:create) on a mapping of SPEC's data model
-- (tests/doctrine/mapping). tests/warmup/test_doctrine_schema.py regenerates it and fails on any difference.
-- Only the application's indexes: roster's recommended ones are added by `roster db check --apply`.
CREATE TABLE users (id INT AUTO_INCREMENT NOT NULL, username VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL, roles LONGTEXT NOT NULL COMMENT '(DC2Type:json)', group_id VARCHAR(255) DEFAULT NULL, UNIQUE INDEX UNIQ_1483A5E9F85E0677 (username), PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8mb4 COLLATE `utf8mb4_unicode_ci` ENGINE = InnoDB;
CREATE TABLE line_items (id INT AUTO_INCREMENT NOT NULL, label VARCHAR(255) NOT NULL, uri VARCHAR(255) NOT NULL, slug VARCHAR(255) NOT NULL, is_active TINYINT(1) NOT NULL, start_at DATETIME DEFAULT NULL, end_at DATETIME DEFAULT NULL, max_attempts INT DEFAULT 0, updated_at DATETIME DEFAULT NULL, UNIQUE INDEX UNIQ_1E9ACECE989D9B62 (slug), PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8mb4 COLLATE `utf8mb4_unicode_ci` ENGINE = InnoDB;
CREATE TABLE assignments (id INT AUTO_INCREMENT NOT NULL, user_id INT DEFAULT NULL, line_item_id INT NOT NULL, state VARCHAR(255) NOT NULL, attempts_count INT DEFAULT 0, updated_at DATETIME DEFAULT NULL, INDEX IDX_308A50DDA76ED395 (user_id), INDEX IDX_308A50DDA7CBD339 (line_item_id), PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8mb4 COLLATE `utf8mb4_unicode_ci` ENGINE = InnoDB;
ALTER TABLE assignments ADD CONSTRAINT FK_308A50DDA76ED395 FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE assignments ADD CONSTRAINT FK_308A50DDA7CBD339 FOREIGN KEY (line_item_id) REFERENCES line_items (id);
