-- One page of a scoped run: the ids were resolved beforehand, so this is primary key look-ups only.
SELECT id, username, group_id, roles
FROM users
WHERE id IN :user_ids
ORDER BY id
