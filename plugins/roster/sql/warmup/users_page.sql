-- One page of a shard, by keyset on the primary key: the plan is a PRIMARY range scan whatever the statistics say.
SELECT id, username, group_id, roles
FROM users
WHERE id > :after_id AND id % :modulo = :remainder
ORDER BY id
LIMIT :batch
