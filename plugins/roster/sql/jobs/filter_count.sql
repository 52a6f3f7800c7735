-- How many jobs an operator's filter matches, up to :cap ({conditions} as in filter_ids.sql), without an order: the
-- count reads one index alone (the claim index for a state or a lane) and stops at the cap.
SELECT COUNT(*) FROM (SELECT 1 FROM background_job WHERE queue = :queue{conditions} LIMIT :cap) AS matches
