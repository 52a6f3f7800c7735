-- The jobs an operator's filter matches, newest first, a page at a time (keyset: ids below :before): what the
-- page lists, counts (up to a cap) and acts on in bulk. An unset filter is NULL and drops out (MySQL/MariaDB get
-- the values written in by the driver and fold `NULL IS NULL` away before choosing an index).
SELECT id FROM background_job
WHERE queue = :queue AND id < :before
  AND priority BETWEEN :low AND :high
  AND (:state IS NULL OR state = :state)
  AND (:callback IS NULL OR callback_name = :callback)
  AND (:identifier IS NULL OR identifier = :identifier)
  AND (:serial_group IS NULL OR serial_group = :serial_group)
  AND (:since IS NULL OR created_at >= :since)
  AND (:until IS NULL OR created_at < :until)
ORDER BY id DESC
LIMIT :limit
