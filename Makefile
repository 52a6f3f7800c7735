# The two set-up commands of README.md.
.PHONY: demo test install standalone cluster cluster-stop

demo:  ## run the user cache warmup end to end on embedded defaults (SQLite roster DB, local Redis)
	scripts/demo.sh

test:  ## install, start MariaDB and Redis when needed, and run the whole suite
	scripts/test.sh

install:
	scripts/install.sh

standalone:  ## the whole thing under a real scheduler, without Docker (airflow standalone; see docs/real-scheduler.md)
	scripts/standalone.sh

cluster:  ## the CeleryExecutor stack of docker-compose.yaml as local processes, two workers (see docs/scaling-out.md)
	scripts/cluster.sh

cluster-stop:  ## stop the cluster that `make cluster` started (every process, by pid)
	scripts/cluster.sh stop
