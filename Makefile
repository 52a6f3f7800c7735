# The two set-up commands of README.md.
.PHONY: demo test install standalone

demo:  ## run the user cache warmup end to end on embedded defaults (SQLite roster DB, local Redis)
	scripts/demo.sh

test:  ## install, start MariaDB and Redis when needed, and run the whole suite
	scripts/test.sh

install:
	scripts/install.sh

standalone:  ## the whole thing under a real scheduler, without Docker (airflow standalone; see README)
	scripts/standalone.sh
