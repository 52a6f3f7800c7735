-- The assignments of one page of users (ids first_id..last_id of shard :remainder), in one round trip.
-- A range on an index starting with user_id: cheaper for the server than a long IN list, as long as the range
-- holds few other shards' rows (the caller uses it up to a small modulo). {user_index_hint} is FORCE INDEX on the
-- index roster.warmup.schema found (the covering one when present): the plan holds whatever the statistics say,
-- and rows come in (user_id, id) index order, so ORDER BY costs no filesort. The server formats the datetimes:
-- cheaper than the driver building datetime objects.
SELECT user_id, id, state, COALESCE(attempts_count, 0) AS attempts_count,
       DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s+00:00') AS updated_at,
       line_item_id
FROM assignments {user_index_hint}
WHERE user_id BETWEEN :first_id AND :last_id AND user_id % :modulo = :remainder
ORDER BY user_id, id
