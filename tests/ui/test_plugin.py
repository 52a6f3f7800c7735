"""The plugin as Airflow's plugin manager sees it: one plugin named roster, from the package's ``airflow.plugins``
entry point (roster.plugin), with its FastAPI app at /roster and a "Roster" navigation entry; nothing of the plugins
folder (the checkout's plugins/, where the package lives) is loaded as a plugin file, so the plugin is loaded once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_airflow_finds_the_roster_plugin(airflow_db):
    airflow = str(Path(sys.executable).with_name("airflow"))
    out = subprocess.run([airflow, "plugins", "-o", "json"], capture_output=True, text=True, timeout=120, check=True)
    listing = next(line for line in out.stdout.splitlines() if line.startswith("[{"))
    listed = json.loads(listing)
    plugins = {plugin["name"]: plugin for plugin in listed}
    assert [plugin["name"] for plugin in listed].count("roster") == 1
    roster = plugins["roster"]
    assert roster["source"].startswith("roster==") and "value='roster.plugin:RosterPlugin'" in roster["source"]
    assert "group='airflow.plugins'" in roster["source"]
    assert roster["fastapi_apps"] == [{"app": "fastapi.applications.FastAPI", "url_prefix": "/roster", "name": "Roster"}]
    assert roster["external_views"] == [{"name": "Roster", "href": "/roster/", "destination": "nav", "url_route": "roster"}]
    # .airflowignore: files of the roster package are not imported as top-level plugin modules by their stem.
    assert not [p for p in plugins.values() if "$PLUGINS_FOLDER" in p["source"]]


def test_the_app_is_built_only_when_asked_for():
    sys.modules.pop("roster.ui.app", None)
    from roster.plugin import RosterPlugin

    assert "roster.ui.app" not in sys.modules  # importing the plugin (every Airflow component does) builds nothing
    apps = RosterPlugin.fastapi_apps
    assert apps[0]["url_prefix"] == "/roster" and apps is RosterPlugin.fastapi_apps
    routes = {route.path for route in apps[0]["app"].routes}
    assert {"/", "/api/jobs/lanes", "/api/jobs/failed/retry", "/api/warmup/audit"} <= routes
