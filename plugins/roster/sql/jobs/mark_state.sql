-- A broker outcome for jobs in one of :from_states: READY once sent, BROKER_FAILED when the send failed.
UPDATE background_job SET state = :to_state, updated_at = :now WHERE id IN :ids AND state IN :from_states
