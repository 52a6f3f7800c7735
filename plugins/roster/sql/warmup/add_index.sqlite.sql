CREATE INDEX {name} ON assignments ({columns})
