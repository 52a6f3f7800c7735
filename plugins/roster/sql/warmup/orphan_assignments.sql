-- Assignments that belong to nobody: the application's join column assignments.user_id is nullable. The warmup
-- skips them (no user's document can hold them) and counts them; the index on user_id answers this alone.
SELECT COUNT(*) FROM assignments WHERE user_id IS NULL
