-- Scope by line items: the (line_item_id, user_id) index answers this without touching the table.
SELECT DISTINCT user_id
FROM assignments
WHERE line_item_id IN :line_item_ids AND user_id % :modulo = :remainder
