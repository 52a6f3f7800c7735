-- Unique by period and state, read under the identifier's lock row: a job of the queue with this identifier in
-- one of :states, published after :since (the window), if any.
SELECT id FROM background_job
WHERE identifier = :identifier AND queue = :queue AND state IN :states AND created_at > :since
LIMIT 1
