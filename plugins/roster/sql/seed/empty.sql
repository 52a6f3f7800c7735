-- Empty the roster tables before a seed. Checks off for this session only: the data is generated consistent,
-- and the load is several times faster without them.
SET SESSION foreign_key_checks = 0, unique_checks = 0;
TRUNCATE TABLE assignments;
TRUNCATE TABLE users;
TRUNCATE TABLE line_items;
