-- A shard's session: a user's assignments array is one GROUP_CONCAT (warmup/assignments_packed.sql), which the
-- server would cut at group_concat_max_len (1 MiB on MariaDB 10.11, 1 KiB on MySQL 8) without an error.
SET SESSION group_concat_max_len = 4294967295
