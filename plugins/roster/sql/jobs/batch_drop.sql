-- The publishing block failed: its batch goes (its bulk jobs were never inserted).
DELETE FROM background_job_batch WHERE id = :id AND sealed_at IS NULL
