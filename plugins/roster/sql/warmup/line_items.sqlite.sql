SELECT id, label, uri, slug, is_active,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', start_at) AS start_at,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', end_at) AS end_at,
       COALESCE(max_attempts, 0) AS max_attempts
FROM line_items
ORDER BY id
