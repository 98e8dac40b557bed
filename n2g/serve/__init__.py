"""`n2g serve`: a read-only HTTP search service and viewer over the neuron graph database.

    from n2g.serve import create_app
    app = create_app(db)          # a FastAPI app; run it with uvicorn

Pages for people (a unit's graph and evidence, search, compare, groups) and a JSON API for
scripts (/api/..., described at /openapi.json), both over the same cached read layer.
Torch-free (tests/test_layout.py), except the one view that tokenises a text.
"""

from n2g.serve.app import create_app

__all__ = ["create_app"]
