-- One page of a scoped run: the ids were resolved beforehand, so the users are primary key look-ups; each comes
-- with the text of its assignments array (warmup/assignments_packed.sql, put in place by
-- roster.warmup.reads.Queries).
SELECT u.id, u.username, u.group_id, u.roles, {assignments_packed} AS assignments
FROM users AS u
WHERE u.id IN :user_ids
ORDER BY u.id
