"""The `n2g` command line (Typer). Each command group lives in its own module, imported
only when one of its commands runs (n2g.cli.lazy): listing the commands imports none."""

from __future__ import annotations

import typer

from n2g.cli import collector, token_names
from n2g.cli.lazy import Entry, LazyCommandsGroup, skip_unused_optional_imports

token_names.install()  # old graph files' byte tokens renamed from their ids on reading

# Each command, in the order `n2g --help` lists them: its module, its help's first
# paragraph (tests/cli/test_lazy_commands.py keeps both true) and whether it is read-side.
LazyCommandsGroup.entries = {
    "record": Entry(
        "record_cmd",
        "Record every neuron's top-k activating windows and max activation (resumable).",
    ),
    "build": Entry(
        "build_cmd", "Build N2G neuron graphs (resumable: rerun the same command to continue)."
    ),
    "ingest": Entry(
        "db_cmd",
        "Load graph files: batched, idempotent (unchanged neurons are skipped), a rebuilt\n"
        "neuron replaced whole, each neuron all-or-nothing. Bad lines are reported as "
        "FILE:LINE\nand the rest load (exit status 1); with --strict nothing loads. Example:",
    ),
    "search": Entry(
        "search_cmd",
        "Find neurons by the tokens they fire on and the context they need.",
        reads=True,
    ),
    "like": Entry(
        "search_cmd",
        "Find neurons like a given one, or the neurons whose graphs fire on a text.",
        reads=True,
    ),
    "similar": Entry(
        "groups_cmd",
        "Compute all-pairs neuron similarity and groups; store them (replacing old ones).",
    ),
    "groups": Entry(
        "groups_cmd",
        "List groups of similar neurons, largest first, then widest spread over layers.",
        reads=True,
    ),
    "show": Entry(
        "show_cmd",
        "Show one neuron's graph: its paths as a table, or --json (a graph-file line).",
        reads=True,
    ),
    "split": Entry(
        "split_cmd",
        "Which SAE and transcoder latents of its layer a neuron splits into (or, for a "
        "latent,\nthe neurons it lies inside), and which it overlaps most.",
        reads=True,
    ),
    "circuit": Entry(
        "circuit_cmd",
        "Which units feed a unit (or which it feeds), from the stored FEEDS edges.",
        reads=True,
    ),
    "feeds": Entry(
        "circuit_cmd",
        "Compute FEEDS edges between a model's stored units and store them (replacing old ones).",
    ),
    "ablate": Entry(
        "ablate_cmd",
        "Ablate a set of units together; measure the change in the model's next-token loss.",
    ),
    "top": Entry(
        "top_cmd",
        "List the units N2G explains best (or worst) by a score, with the tokens they fire on.",
        reads=True,
    ),
    "export": Entry(
        "export_cmd",
        "Export units (label, scores, trie, evidence) for pandas or Hugging Face datasets.",
        reads=True,
    ),
    "run": Entry(
        "pipeline_cmd",
        "Record, build, ingest, search and report: text to searchable neuron graphs.",
    ),
    "report": Entry(
        "report_cmd",
        "The per-layer P/R/F1 table (N2G and each baseline; in and out of distribution).",
        reads=True,
    ),
    "serve": Entry(
        "serve_cmd",
        "Serve the neuron graphs over HTTP: pages to browse and a JSON API. Read-only.",
    ),
    "plugins": Entry(
        "plugins_cmd",
        "List the models, corpora, substitute helpers and scoring methods n2g can use.",
        reads=True,
    ),
    "db": Entry("db_cmd", "The graph database: the local server, the schema, clearing."),
}

app = typer.Typer(
    name="n2g",
    help="Neuron to Graph: explain every MLP neuron of a language model as a searchable graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyCommandsGroup,
)


@app.callback()
def _group() -> None:
    # A callback makes Typer build a group of no registered command: LazyCommandsGroup
    # adds them as they are asked for.
    pass


def command_tree() -> LazyCommandsGroup:
    """The `n2g` group with every command loaded (for walking the whole tree)."""
    group = typer.main.get_command(app)
    assert isinstance(group, LazyCommandsGroup)
    return group.load_all()


def main() -> None:
    """Console-script entry point of `n2g` (and `python -m n2g`)."""
    skip_unused_optional_imports()
    collector.pause()  # until the command's module is loaded (n2g.cli.collector)
    app()
