"""The Roster page's FastAPI app: the page and its assets at ``/roster/``, JSON under ``/roster/api/...``. Every
route carries Airflow's security dependencies (see :mod:`roster.ui.access`): the UI's own login works, and
anonymous requests are refused. Everything the page loads ships in this package (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from roster.ui import access, charts_api, explore_api, jobs_api, warmup_api

STATIC = Path(__file__).resolve().parent / "static"
# chart.umd.min.js: Chart.js 4.6.2 from the npm registry (MIT, chart.js-LICENSE.md), vendored: no CDN.
ASSETS = {"roster.js": "text/javascript", "charts.js": "text/javascript", "explore.js": "text/javascript",
          "batches.js": "text/javascript", "chart.umd.min.js": "text/javascript", "roster.css": "text/css"}  # fmt: skip


def create_app() -> FastAPI:
    app = FastAPI(title="roster", description="Operate roster's job queue and cache warmup", version="1")
    app.include_router(jobs_api.router)
    app.include_router(explore_api.router)
    app.include_router(charts_api.router)
    app.include_router(warmup_api.router)

    @app.get("/", dependencies=access.READ_JOBS, include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", dependencies=access.READ_JOBS, include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(status_code=404, detail=f"no asset {name!r}")
        return FileResponse(STATIC / name, media_type=ASSETS[name])

    return app
