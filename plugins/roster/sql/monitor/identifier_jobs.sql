-- How many jobs of the queue carry this identifier, in any state: the identifier index.
SELECT COUNT(*) FROM background_job WHERE identifier = :identifier AND queue = :queue
