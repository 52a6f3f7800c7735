-- The indexes of assignments, column by column: the warmup reads a page's assignments through one of them.
SELECT INDEX_NAME AS index_name, COLUMN_NAME AS column_name
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'assignments'
ORDER BY INDEX_NAME, SEQ_IN_INDEX
