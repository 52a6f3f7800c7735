SELECT user_id, id, state, COALESCE(attempts_count, 0) AS attempts_count,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', updated_at) AS updated_at,
       line_item_id
FROM assignments {user_index_hint}
WHERE user_id IN :user_ids
ORDER BY user_id, id
