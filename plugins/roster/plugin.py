"""The ``roster`` Airflow plugin: the Roster page (a FastAPI app mounted at ``/roster``) and its entry in the UI's
navigation. Airflow finds it through the package's ``airflow.plugins`` entry point and imports it in every component; the app itself is built only where Airflow asks for
``fastapi_apps`` (the api-server), so schedulers and task processes never import FastAPI for it."""

from __future__ import annotations

import functools
from typing import Any

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/roster"


def _base_path() -> str:
    """The path part of ``[api] base_url`` (Airflow may be served under a sub-path)."""
    from urllib.parse import urlparse

    base_url = conf.get("api", "base_url", fallback="/") or "/"
    return (urlparse(base_url).path if "://" in base_url else base_url).rstrip("/")


@functools.cache
def _fastapi_apps() -> list[dict[str, Any]]:
    from roster.ui.app import create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Roster"}]


class _BuiltOnAccess:
    """A class attribute computed on first read."""

    def __init__(self, build) -> None:
        self.build = build

    def __get__(self, instance, owner) -> list[dict[str, Any]]:
        return self.build()


class RosterPlugin(AirflowPlugin):
    """Roster page at /roster/ (JSON under /roster/api/), "Roster" in the UI navigation."""

    name = "roster"
    fastapi_apps = _BuiltOnAccess(_fastapi_apps)
    external_views = [
        {
            "name": "Roster",
            "href": f"{_base_path()}{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "roster",
        }
    ]
