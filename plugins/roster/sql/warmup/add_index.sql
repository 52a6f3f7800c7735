-- A recommended index, added online: InnoDB builds it in place while reads and writes go on (MySQL 8, MariaDB
-- >= 10.6); the server refuses rather than lock the table if it cannot. {name} and {columns} come from
-- roster.warmup.app_schema.RECOMMENDED_INDEXES.
ALTER TABLE assignments ADD INDEX {name} ({columns}), ALGORITHM=INPLACE, LOCK=NONE
