"""neuron2graph: interpret language-model neurons as searchable graphs (Foote et al. 2023).

The Python API, in one import (n2g.api; the reference is docs/api.md):

    import n2g

    with n2g.connect() as store:  # flags, else N2G_* variables, else the local server
        hits = store.token_search("/", context=" *", model="smollm2-135m")

`import n2g` stays light (every `n2g` command imports it first): the API's names load
n2g.api on first use (PEP 562), and building a graph imports torch only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from n2g.api import (
        DatabaseConfig,
        GraphFileError,
        N2GError,
        NeuronGraph,
        Store,
        build_graph,
        connect,
        read_graphs,
        write_graphs,
    )

__all__ = [
    "DatabaseConfig",
    "GraphFileError",
    "N2GError",
    "NeuronGraph",
    "Store",
    "__version__",
    "build_graph",
    "connect",
    "read_graphs",
    "write_graphs",
]


def __getattr__(name: str) -> Any:
    """The API's names, loaded from n2g.api on first use."""
    if name in __all__ and name != "__version__":
        from n2g import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'n2g' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
