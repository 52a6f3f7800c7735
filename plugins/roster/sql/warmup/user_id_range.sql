-- Where the audit's random sample may start.
SELECT MIN(id), MAX(id) FROM users
