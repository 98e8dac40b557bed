"""The plain approach of bench/serve.py: a minimal FastAPI app, no cache, the CLI's API.

The benchmark sets `n2g serve` beside an app answering the same requests the obvious way,
through the CLI's generic API: a unit is `NeuronSearch.neuron_graph(key)` (its whole trie by
a variable-length path query, and its evidence) plus `NeuronSearch.like(key)`, as JSON or as
an HTML string (`html.escape`); a search is `NeuronSearch.token_search(token=...)`. The
benchmark starts it as its own process (`python -m bench.serve --plain-server`, not meant
for people) with as many uvicorn workers as n2g's, so that both servers are measured alike.

A module of its own so that uvicorn's workers import only the app (the import string
`bench._plain_server:plain_app`), not the benchmark's driver, and so that the driver reads
as setup, scenarios and results.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import quote

from bench._http_load import HOST

if TYPE_CHECKING:  # FastAPI and n2g's read side load only in the server process
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from n2g.graph.model import NeuronGraph
    from n2g.search.hits import LikeHit


def _plain_unit_html(graph: NeuronGraph, like: list[LikeHit]) -> str:
    """A unit's page as a plain HTML string: scores, trie nodes, evidence, similar units."""
    from n2g.scoring import methods

    esc = html.escape
    title = f"{graph.model}/{graph.layer}/{graph.neuron}"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>a_max {graph.a_max:.3f}, {graph.n_examples} examples, "
        f"{len(graph.nodes)} nodes, {len(graph.edges)} edges</p>",
    ]
    if graph.evaluation is not None:
        parts.append("<table><tr><th>method</th><th>precision</th><th>recall</th><th>F1</th></tr>")
        for name in methods():
            s = graph.evaluation.scores(name)
            if s is None:
                continue
            parts.append(
                f"<tr><td>{name}</td><td>{s.precision:.3f}</td><td>{s.recall:.3f}</td>"
                f"<td>{s.f1:.3f}</td></tr>"
            )
        parts.append("</table>")
    parent = {child: p for p, child in graph.edges}
    parts.append(
        "<h2>Graph</h2><table><tr><th>id</th><th>parent</th><th>kind</th><th>depth</th>"
        "<th>token</th><th>value</th></tr>"
    )
    for node in graph.nodes:
        value = node.activation if node.activation is not None else node.importance
        parts.append(
            f"<tr><td>{node.id}</td><td>{parent.get(node.id, '')}</td><td>{esc(node.kind)}</td>"
            f"<td>{node.depth}</td><td>{esc(repr(node.token)) if node.token else ''}</td>"
            f"<td>{'' if value is None else f'{value:.3f}'}</td></tr>"
        )
    parts.append("</table><h2>Evidence</h2>")
    for example in graph.evidence:
        spans = "".join(
            f"<span title='{a:.3f} / {p:.3f}' style='background:rgba(255,0,0,{max(a, 0):.2f})'>"
            f"{esc(token)}</span>"
            for token, a, p in zip(
                example.tokens, example.activations, example.predicted, strict=True
            )
        )
        parts.append(f"<p>{esc(example.split)} #{example.rank}: {spans}</p>")
    parts.append("<h2>Similar units</h2><ul>")
    for hit in like:
        parts.append(
            f"<li><a href='/units/{esc(quote(hit.key, safe='/'))}'>{esc(hit.key)}</a> "
            f"{hit.score:.2f} ({esc(', '.join(hit.shared_activating))})</li>"
        )
    parts.append("</ul></body></html>")
    return "".join(parts)


def plain_app() -> FastAPI:
    """The plain server's app (a uvicorn factory): its database from N2G_* variables."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, JSONResponse

    from n2g.db.connection import Database, DatabaseConfig
    from n2g.errors import N2GError
    from n2g.search import NeuronSearch

    config = DatabaseConfig(
        uri=os.environ["N2G_URI"],
        user=os.environ.get("N2G_USER", "neo4j"),
        password=os.environ.get("N2G_PASSWORD", ""),
        database=os.environ.get("N2G_DATABASE") or None,
    )
    state: dict[str, NeuronSearch] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with Database.connect(config) as db:
            state["search"] = NeuronSearch(db)
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.exception_handler(N2GError)
    async def _n2g_error(request: Request, exc: N2GError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=404)

    def unit(key: str) -> tuple[NeuronGraph, list[LikeHit]]:
        search = state["search"]
        return search.neuron_graph(key), search.like(key)

    @app.get("/api/models")
    def models():
        return state["search"].models()

    @app.get("/api/units/{key:path}")
    def unit_api(key: str):
        graph, like = unit(key)
        return {"graph": graph.model_dump(mode="json"), "like": [h.model_dump() for h in like]}

    @app.get("/units/{key:path}", response_class=HTMLResponse)
    def unit_page(key: str):
        graph, like = unit(key)
        return HTMLResponse(_plain_unit_html(graph, like))

    @app.get("/api/search")
    def search(
        token: str | None = None,
        context: str | None = None,
        model: str | None = None,
        layer: int | None = None,
        limit: int = 25,
    ):
        hits = state["search"].token_search(
            token=token, context=context, model=model, layer=layer, limit=limit
        )
        return {"hits": [h.model_dump() for h in hits]}

    return app


def run_plain_server(args: argparse.Namespace) -> None:
    """The hidden `--plain-server` mode: serve the plain app until stopped."""
    import uvicorn

    if not args.uri:
        raise SystemExit("--plain-server needs --uri")
    os.environ["N2G_URI"] = args.uri
    os.environ["N2G_USER"] = args.user
    if args.database:
        os.environ["N2G_DATABASE"] = args.database
    uvicorn.run(
        "bench._plain_server:plain_app",
        factory=True,
        host=HOST,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        server_header=False,
    )
