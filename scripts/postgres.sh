# Sourced by services.sh and cluster.sh: PostgreSQL (Debian's) as Airflow's metadata database on 127.0.0.1:5432.
# ensure_postgres installs it when missing (as root, with apt-get) and starts it when down;
# ensure_airflow_database NAME creates the role airflow (password airflow, as in airflow.env) and database NAME.

postgres_sql() {  # postgres_sql SQL: as the postgres superuser, over the local socket (peer authentication)
  runuser -u postgres -- psql -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"
}

ensure_postgres() {
  if ! command -v pg_lsclusters >/dev/null; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || {
      echo "postgres: PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2; return 1; }
    echo "postgres: installing Debian's postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 && return 0
  local cluster
  cluster=$(pg_lsclusters -h | awk '$3 == 5432 {print $1, $2; exit}')
  [ -n "$cluster" ] || { echo "postgres: no PostgreSQL cluster on port 5432 (pg_lsclusters)" >&2; return 1; }
  echo "postgres: starting cluster $cluster"
  pg_ctlcluster $cluster start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 0.5; done
  echo "postgres: PostgreSQL did not answer on 127.0.0.1:5432 within 30 s" >&2; return 1
}

ensure_airflow_database() {  # ensure_airflow_database NAME
  local name=$1
  [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "postgres: bad database name '$name' (AIRFLOW_DB_NAME)" >&2; return 1; }
  [ -n "$(postgres_sql "SELECT 1 FROM pg_roles WHERE rolname = 'airflow'")" ] ||
    postgres_sql "CREATE ROLE airflow LOGIN PASSWORD 'airflow'"
  [ -n "$(postgres_sql "SELECT 1 FROM pg_database WHERE datname = '$name'")" ] ||
    postgres_sql "CREATE DATABASE $name OWNER airflow"
}
