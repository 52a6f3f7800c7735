SELECT m.name AS table_name, c.name AS column_name, c.type AS data_type
FROM sqlite_master AS m, pragma_table_info(m.name) AS c
WHERE m.type = 'table' AND m.name IN ('users', 'line_items', 'assignments')
