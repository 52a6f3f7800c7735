-- Users already there: a seed refuses to replace them unless asked to.
SELECT COUNT(*) FROM users
