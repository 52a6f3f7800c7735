"""The Roster page: a FastAPI app Airflow's api-server mounts at ``/roster`` (see roster/plugin.py)."""
