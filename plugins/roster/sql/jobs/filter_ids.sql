-- The jobs an operator's filter matches, newest first, a page at a time (keyset: ids below :before): what the
-- page lists and acts on in bulk. {conditions} stands for the filter's given fields, one line each (see
-- roster.jobs.job_filter.CONDITIONS): a field not given is left out, not written as `:x IS NULL OR ...`, which
-- still names its column and makes MariaDB read every row instead of an index alone.
SELECT id FROM background_job
WHERE queue = :queue AND id < :before{conditions}
ORDER BY id DESC
LIMIT :limit
