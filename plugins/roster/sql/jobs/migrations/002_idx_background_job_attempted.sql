-- adds index idx_background_job_attempted
-- The failure rate (monitor/outcomes_since): a few short ranges of recent attempts per outcome, index only.
CREATE INDEX idx_background_job_attempted ON background_job (queue, state, last_attempt_at)
