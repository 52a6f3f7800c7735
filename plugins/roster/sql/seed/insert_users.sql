-- One user; run with many rows at once.
INSERT INTO users (id, username, password, roles, group_id) VALUES (:id, :username, :password, :roles, :group_id)
