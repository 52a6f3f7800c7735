-- One line item; run with many rows at once (mysqlclient rewrites it into multi-row INSERTs of about 1 MB).
INSERT INTO line_items (id, label, uri, slug, is_active, start_at, end_at, max_attempts, updated_at)
VALUES (:id, :label, :uri, :slug, :is_active, :start_at, :end_at, :max_attempts, :updated_at)
