"""n2g from Python in one import: connect to a store, search it, read and write graph files,
build one unit's graph from records.

    import n2g

    with n2g.connect() as store:  # flags, else N2G_* variables, else the local server
        hits = store.token_search("/", context=" *", model="smollm2-135m")
        like = store.like("smollm2-135m/1/964")

This is a thin facade over the modules the CLI uses, so Python and `n2g` answer alike:
`connect` resolves the database as every command does (n2g.cli.db_options), `Store` is
`n2g.search.NeuronSearch` (every query method, documented there) that also loads graphs
and closes its connection, the file functions are n2g.graph.file's strict reader and
writer behind n2g.files' safe write. `n2g/__init__.py` loads this module on first use of
one of its names, and `build_graph` imports the builder (torch) only when called, so
`import n2g` and the read side stay light. The pipeline's stages themselves (record,
build, ingest, similarity, report: what the commands and `n2g run` call) are the typed
functions of `n2g.stages` (`from n2g import stages`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from n2g.db.connection import Database, DatabaseConfig
from n2g.db.ingest import DEFAULT_BATCH_SIZE, IngestSummary, ingest_graphs
from n2g.db.resolve import configured_database, ensure_local_server, resolve_database
from n2g.errors import N2GError
from n2g.files import open_atomic
from n2g.graph.file import GraphFileError, dump_graph_line, read_graph_files
from n2g.graph.model import NeuronGraph
from n2g.search import (
    CommunityConfig,
    NeuronSearch,
    Relation,
    SimilarityConfig,
    SimilarityReport,
)
from n2g.search.api import DEFAULT_COMMUNITIES
from n2g.search.group_ablation import SetAblation
from n2g.search.hits import PairHit

if TYPE_CHECKING:
    from n2g.builder.config import BuildConfig
    from n2g.models.base import NeuronModel

__all__ = [
    "DatabaseConfig",
    "GraphFileError",
    "N2GError",
    "NeuronGraph",
    "Store",
    "build_graph",
    "connect",
    "read_graphs",
    "write_graphs",
]


class Store(NeuronSearch):
    """A connection to a graph store with every search of `n2g.search.NeuronSearch`
    (`token_search`, `label_search`, `like`, `groups`, `top`, `splits`, `neuron_graph`,
    ...), plus loading graphs and the similarity computation by name. Close it, or use it
    as a context manager."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)

    @property
    def config(self) -> DatabaseConfig:
        """Where this store is (the password is kept out of its repr)."""
        return self.db.config

    def ingest(
        self, graphs: Iterable[NeuronGraph], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IngestSummary:
        """Load `graphs` into the store (as `n2g-ingest` does: a graph already there is
        replaced); N2GError for a value the database cannot store."""
        return ingest_graphs(self.db, graphs, batch_size=batch_size)

    def similar(
        self,
        models: Sequence[str],
        config: SimilarityConfig | None = None,
        *,
        communities: CommunityConfig | None = DEFAULT_COMMUNITIES,
    ) -> SimilarityReport:
        """`n2g similar`: all-pairs similarity of the units of `models`, the paper's groups
        and (unless `communities` is None) nested communities, stored in place of the old
        ones. Read them back with `groups(level=...)` and `similar_pairs`."""
        return self.compute_similarity(models, config, communities=communities)

    def pairs(
        self, model: str, *, relation: Relation = Relation.SIMILAR_TO, limit: int = 25
    ) -> list[PairHit]:
        """The stored SIMILAR_TO (or SUBSET_OF) pairs of `model`, most similar first."""
        return self.similar_pairs(model, relation=relation, limit=limit)

    def ablate(
        self,
        model: str | NeuronModel,
        records: Path | str,
        *,
        group: str | None = None,
        token: str | None = None,
        units: Sequence[str] | None = None,
        **settings: Any,
    ) -> SetAblation:
        """`n2g ablate`: ablate a set (a stored group, the units firing on `token`, or
        unit keys) together and measure the change in next-token loss on texts where they
        fire and on control texts, against random sets of the same layers; a group's
        result is stored on it. `model`: its name or the model loaded (with every layer);
        `settings`: the other fields of n2g.run.set_ablation.AblationRequest (mode,
        windows, control, random, seed, ...). Needs the `build` extra (torch)."""
        from n2g.run.set_ablation import AblationRequest
        from n2g.run.set_ablation import ablate as measure

        loaded = None if isinstance(model, str) else model
        request = AblationRequest(
            model=model if isinstance(model, str) else model.name,
            records=Path(records),
            group=group,
            token=token,
            units=None if units is None else list(units),
            **settings,
        )
        return measure(self.db, request, loaded)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect(
    uri: str | None = None,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    config: DatabaseConfig | None = None,
    start: bool = True,
) -> Store:
    """Connect to a store the way every `n2g` command does: `uri`/`user`/`password`/
    `database` as given, each one not given from N2G_URI, N2G_USER, N2G_PASSWORD,
    N2G_DATABASE; with no URI either way, the local server, started now when it is not
    running (`start=False`: an N2GError instead). `config` names the database outright.
    N2GError (one line) when the database does not answer."""
    if config is None:
        config = configured_database(uri, user, password, database)
    if config is None:
        config = ensure_local_server() if start else resolve_database()
    return Store(Database.connect(config))


def read_graphs(
    *paths: Path | str, errors: list[GraphFileError] | None = None
) -> Iterator[NeuronGraph]:
    """Every graph of the graph files (JSON Lines, older formats upgraded), in order.

    Without `errors`, the first bad line raises GraphFileError naming file and line; with
    it, bad lines are collected there and skipped. A missing file is an N2GError."""
    return read_graph_files(paths, errors=errors)


def write_graphs(path: Path | str, graphs: Iterable[NeuronGraph]) -> int:
    """Write `graphs` as a graph file (one JSON line each), replacing `path` only once the
    whole file is written (never through a link planted there); the number written."""
    count = 0
    with open_atomic(Path(path)) as handle:
        for graph in graphs:
            handle.write(dump_graph_line(graph) + "\n")
            count += 1
    return count


def build_graph(
    records: Path | str,
    layer: int,
    unit: int,
    *,
    model: str | NeuronModel | None = None,
    config: BuildConfig | None = None,
    device: str = "cpu",
) -> NeuronGraph:
    """Build the graph of unit `unit` of `layer` from a records folder (`n2g record`),
    as `n2g build --neurons UNIT:UNIT+1` would (needs the `build` extra: torch).

    `model`: a loaded model or its name (default: the one the records name); `config`:
    the build settings (default: `BuildConfig()`, those of `n2g build`)."""
    from n2g.builder.batch import build_neuron_graphs
    from n2g.builder.config import BuildConfig
    from n2g.builder.stage import build_inputs, check_request, model_for_records
    from n2g.models import load_model
    from n2g.record.store import load_layer, load_manifest

    config = config or BuildConfig()
    if model is None or isinstance(model, str):
        name = model or load_manifest(records).model
        model = load_model(name, n_layers=layer + 1, device=device)
    model = model_for_records(model, records, progress=False)
    manifest, _, _ = check_request(model, records, [layer], [unit], config)
    helper, ood, sample = build_inputs(model, manifest, config, [layer], device)
    (graph,) = build_neuron_graphs(
        model,
        load_layer(records, layer),
        [unit],
        config,
        helper,
        ood(layer) if ood is not None else None,
        sample(layer) if sample is not None else None,
    )
    return graph
