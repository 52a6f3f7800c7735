-- The audit's sample: up to `size` usernames from a random point of the primary key on (a range read, no sort of
-- the whole table as ORDER BY RAND() would do).
SELECT username FROM users WHERE id >= :start ORDER BY id LIMIT :size
