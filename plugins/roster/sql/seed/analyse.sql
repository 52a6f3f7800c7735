-- Fresh optimizer statistics: after a bulk load, stale ones make MariaDB choose slow join orders.
ANALYZE TABLE users, line_items, assignments
