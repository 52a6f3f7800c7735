-- Scope by usernames: the unique index on username answers this directly.
SELECT id, username
FROM users
WHERE username IN :usernames AND id % :modulo = :remainder
