-- Scope by line items: an index starting with line_item_id finds the rows; (line_item_id, user_id) answers it
-- without touching the table (roster db check recommends it).
SELECT DISTINCT user_id
FROM assignments
WHERE line_item_id IN :line_item_ids AND user_id % :modulo = :remainder
