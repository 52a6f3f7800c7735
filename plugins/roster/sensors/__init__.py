"""Airflow sensors of roster."""
