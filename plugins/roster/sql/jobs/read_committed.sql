-- A consumer's session (MySQL/MariaDB): claims read candidates without locks and must see the other consumers'
-- latest commits, not a snapshot taken at the transaction's first read.
SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED
