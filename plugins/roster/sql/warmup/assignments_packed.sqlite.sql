CAST((SELECT group_concat('{"id":' || p.id || ',"state":' || CASE WHEN p.state IS NULL THEN 'null' ELSE '%(s' || hex(p.state) || ')s' END
                     || ',"attemptsCount":' || coalesce(p.attempts_count, 0) || ',"updatedAt":'
                     || ifnull('"' || strftime('%Y-%m-%dT%H:%M:%S+00:00', p.updated_at) || '"', 'null')
                     || ',"lineItem":%(' || ifnull(p.line_item_id, 'null') || ')s}', ',')
 FROM (SELECT * FROM assignments AS a {user_index_hint} WHERE a.user_id = u.id ORDER BY a.id) AS p) AS BLOB)
