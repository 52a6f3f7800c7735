SELECT i.name AS index_name, c.name AS column_name
FROM pragma_index_list('assignments') AS i, pragma_index_info(i.name) AS c
ORDER BY i.name, c.seqno
