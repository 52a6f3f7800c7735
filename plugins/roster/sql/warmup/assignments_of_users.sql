-- The assignments of one page of users given by id (a scoped run, or a large modulo), in one round trip.
-- {user_index_hint} pins the index starting with user_id that roster.warmup.schema found: with stale statistics
-- and a long IN list MariaDB may otherwise choose a full scan. Rows come out in index order: no filesort.
SELECT user_id, id, state, COALESCE(attempts_count, 0) AS attempts_count,
       DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s+00:00') AS updated_at,
       line_item_id
FROM assignments {user_index_hint}
WHERE user_id IN :user_ids
ORDER BY user_id, id
