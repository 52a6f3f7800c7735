-- One page of a shard by keyset on the primary key (a PRIMARY range scan whatever the statistics say), each user
-- with the text of its assignments array (warmup/assignments_packed.sql, put in place by
-- roster.warmup.reads.Queries). :until_id ends the part of the id range one read connection takes (the largest
-- BIGINT when one connection reads the shard).
SELECT u.id, u.username, u.group_id, u.roles, {assignments_packed} AS assignments
FROM users AS u
WHERE u.id > :after_id AND u.id <= :until_id AND u.id % :modulo = :remainder
ORDER BY u.id
LIMIT :batch
