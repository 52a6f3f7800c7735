-- A user's assignments as the JSON text of the document's "assignments" array, built by the server in one column
-- (one row per user instead of one per assignment: fewer rows, bytes and Python objects than the join). The server
-- writes only what it formats exactly like orjson: integers, datetimes, null and the fixed keys. A datetime is the
-- server's own text of it as DATETIME (whole seconds, like DATE_FORMAT's %s, but cheaper), 2026-01-02 03:04:05:
-- roster.warmup.documents turns its space into the T of ISO 8601 (the text has no other space). What
-- needs JSON string escaping is left as a Python %-format key that roster.warmup.documents.DocumentParts fills with
-- orjson's text: the line item document by id (%(7)s, built once per shard) and the state by the hex of its UTF-8
-- bytes (%(s7265616479)s: hex has no character that could end the key; HEX costs the server less than telling
-- plain states from others with REGEXP). A NULL line item id gives the
-- key null, which names no line item: the user is counted as failed, as before. Included in user_documents_*.sql;
-- {user_index_hint} and {assignment_order} come from roster.warmup.app_schema.AccessPath (no ORDER BY when the index
-- already returns a user's rows in id order). The session raises group_concat_max_len (MySQL's default is 1 KiB).
-- As BINARY: the driver hands over bytes, which Python fills and writes without decoding and encoding them.
CAST((SELECT GROUP_CONCAT('{"id":', a.id, ',"state":', IFNULL(CONCAT('%(s', HEX(a.state), ')s'), 'null'),
                     ',"attemptsCount":', COALESCE(a.attempts_count, 0),
                     ',"updatedAt":', IFNULL(CONCAT('"', CAST(a.updated_at AS DATETIME), '+00:00"'), 'null'),
                     ',"lineItem":%(', IFNULL(a.line_item_id, 'null'), ')s}'
                     {assignment_order} SEPARATOR ',')
 FROM assignments AS a {user_index_hint}
 WHERE a.user_id = u.id) AS BINARY)
