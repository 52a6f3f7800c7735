"""Operating roster: read-only views of the job table and the health checks behind the alerts (no Airflow)."""
