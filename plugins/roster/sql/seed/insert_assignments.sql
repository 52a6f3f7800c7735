-- One assignment; run with many rows at once.
INSERT INTO assignments (user_id, line_item_id, state, attempts_count, updated_at)
VALUES (:user_id, :line_item_id, :state, :attempts_count, :updated_at)
