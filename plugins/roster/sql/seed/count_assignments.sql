-- Assignments seeded, for the summary.
SELECT COUNT(*) FROM assignments
