-- Users per shard for an unscoped run: one pass over the primary key.
SELECT id % :modulo AS remainder, COUNT(*) AS users
FROM users
GROUP BY id % :modulo
