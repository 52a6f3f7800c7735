-- The columns of the roster tables, read once per task to check the schema and choose the warmup's access path.
-- information_schema lists only what the connected user may see: SELECT on the three tables is enough.
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, DATA_TYPE AS data_type
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('users', 'line_items', 'assignments')
