-- Who holds these jobs now, after a consumer's write matched fewer rows than it wrote: the job's state and its
-- claim, to tell the outcome of a stale claim (rescued, perhaps claimed again by another consumer) in the log.
SELECT id, state, claim_id, worker, hostname, pid FROM background_job WHERE id IN :ids
