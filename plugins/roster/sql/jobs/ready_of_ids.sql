-- The broker's settle step: which of these jobs are still READY (1), so their message must stay.
SELECT id FROM background_job WHERE id IN :ids AND state = 1
