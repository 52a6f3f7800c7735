-- Jobs over their rate limit: still READY (1), not failed and no attempt used, but not due before a slot of the
-- window frees, so no claim reads them again until then.
UPDATE background_job SET available_at = :until, updated_at = :now WHERE id IN :ids AND state = 1
