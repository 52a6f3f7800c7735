-- One page of a shard, by keyset on the primary key: the plan is a PRIMARY range scan whatever the statistics say.
-- :until_id ends the part of the id range one read connection takes (the largest BIGINT for the whole range).
SELECT id, username, group_id, roles
FROM users
WHERE id > :after_id AND id <= :until_id AND id % :modulo = :remainder
ORDER BY id
LIMIT :batch
