-- Every line item, loaded once per shard: the documents embed them, so no per-assignment join is needed.
SELECT id, label, uri, slug, is_active,
       DATE_FORMAT(start_at, '%Y-%m-%dT%H:%i:%s+00:00') AS start_at,
       DATE_FORMAT(end_at, '%Y-%m-%dT%H:%i:%s+00:00') AS end_at,
       COALESCE(max_attempts, 0) AS max_attempts
FROM line_items
ORDER BY id
