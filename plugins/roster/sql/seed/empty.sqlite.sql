-- Empty the roster tables before a seed, ids starting from 1 again.
DELETE FROM assignments;
DELETE FROM users;
DELETE FROM line_items;
DELETE FROM sqlite_sequence WHERE name IN ('assignments', 'users', 'line_items');
