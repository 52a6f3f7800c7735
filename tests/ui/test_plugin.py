"""The plugin as Airflow's plugin manager sees it: one plugin named roster from plugins/roster_plugin.py, with its
FastAPI app at /roster and a "Roster" navigation entry; the roster package is not loaded as plugin files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_airflow_finds_the_roster_plugin(airflow_db):
    airflow = str(Path(sys.executable).with_name("airflow"))
    out = subprocess.run([airflow, "plugins", "-o", "json"], capture_output=True, text=True, timeout=120, check=True)
    listing = next(line for line in out.stdout.splitlines() if line.startswith("[{"))
    plugins = {plugin["name"]: plugin for plugin in json.loads(listing)}
    roster = plugins["roster"]
    assert roster["source"] == "$PLUGINS_FOLDER/roster_plugin.py"
    assert roster["fastapi_apps"] == [{"app": "fastapi.applications.FastAPI", "url_prefix": "/roster", "name": "Roster"}]
    assert roster["external_views"] == [{"name": "Roster", "href": "/roster/", "destination": "nav", "url_route": "roster"}]
    # .airflowignore: files of the roster package are not imported as top-level plugin modules by their stem.
    assert not [p for p in plugins.values() if "roster/" in p["source"]]


def test_the_app_is_built_only_when_asked_for():
    sys.modules.pop("roster.ui.app", None)
    import roster_plugin

    assert "roster.ui.app" not in sys.modules  # importing the plugin (every Airflow component does) builds nothing
    apps = roster_plugin.RosterPlugin.fastapi_apps
    assert apps[0]["url_prefix"] == "/roster" and apps is roster_plugin.RosterPlugin.fastapi_apps
    routes = {route.path for route in apps[0]["app"].routes}
    assert {"/", "/api/jobs/lanes", "/api/jobs/failed/retry", "/api/warmup/audit"} <= routes
