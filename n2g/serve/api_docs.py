"""The interactive API page, /api/docs: Swagger UI over /openapi.json, served offline.

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script:
an offline machine cannot reach the CDN and the Content-Security-Policy (n2g.serve.security)
runs neither. So the page here is ours: Swagger UI's script and stylesheet come from the
`fastapi-offline` package through /api/docs/ (only those two files of it), and the
script that starts it is /static/api-docs.js, a file of ours, so the policy stays as it is.
The start script turns off the spec validator badge (a request to swagger.io), so the page
asks nothing of any other host.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")  # all the page needs of the bundle

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API · n2g neuron graphs</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/api/docs/swagger-ui-bundle.js" defer></script>
<script src="/static/api-docs.js" defer></script>
</head>
<body>
<p><a href="/">n2g</a> · the JSON API, described at <a href="/openapi.json">/openapi.json</a></p>
<div id="swagger-ui"></div>
</body>
</html>
"""


@cache
def _bundle() -> Path:
    """The folder of Swagger UI's files in the installed `fastapi-offline` (Swagger UI 5,
    which reads the OpenAPI 3.1 FastAPI writes; swagger-ui-bundle's 4.15 cannot)."""
    try:
        folder = importlib.resources.files("fastapi_offline") / "static"
    except ModuleNotFoundError:
        raise HTTPException(
            404, "the API page needs the fastapi-offline package: pip install fastapi-offline"
        ) from None
    return Path(str(folder))


def api_docs_router() -> APIRouter:
    """GET /api/docs (the page) and /api/docs/NAME (its two files from the bundle)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/api/docs", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        _bundle()
        return HTMLResponse(PAGE)

    @router.get("/api/docs/{name}")
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, f"no file {name!r} of the API page")
        return FileResponse(_bundle() / name, headers={"Cache-Control": "public, max-age=86400"})

    return router
