"""`n2g export`: units to Parquet or JSON Lines for pandas and Hugging Face datasets, and
their labels in the shape attribution-graph viewers take as node labels.

Researchers keep working in their own tools. One row a unit: its identity (key, model,
layer, index, unit set, hook), its one-line label (n2g.graph.label), its normaliser, its
evaluation as a nested record (N2G and the baselines, out of distribution, correlation,
delphi's detection and fuzzing), its trie (nodes and edges) and its evidence (where
stored), and its settings. The rows come from the database (per model, or filtered like a
search) or straight from a graph file.

The labels file maps a unit's model, hook and index to its label:
`{"smollm2-135m": {"blocks.3.mlp.hook_post": {"15": "fires on ..."}}}` for MLP neurons
(transformer_lens' name of the MLP's activations), the SAE's own hook for its latents
(`{"smollm2-135m": {"blocks.3.hook_mlp_out": {...}}}`), the index as a string (a JSON
key). The model comes first because hooks are named alike in every model: keyed by hook
alone, the labels of two models' `blocks.0.mlp.hook_post` neuron 0 would be one entry, the
last written. A viewer that takes one model's hook -> index -> label map reads
`labels[MODEL]`.

A file is written whole or not at all (n2g.files: a temporary file beside the target,
renamed into place at the end, never through a symlink at its name), so an interrupted
export, or one that met a bad line, leaves no partial file that looks complete.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias

from n2g.errors import N2GError
from n2g.files import open_atomic, write_text_atomic
from n2g.graph.evaluation import (
    BaselineOutOfDistribution,
    Classification,
    Correlation,
    Delphi,
    DelphiMethod,
    Evaluation,
    OutOfDistribution,
    Scores,
)
from n2g.graph.histogram import ActivationHistogram
from n2g.graph.label import unit_label
from n2g.graph.model import (
    BuildSettings,
    EvidenceExample,
    NeuronGraph,
    NodeKind,
    OutputTokens,
    TokenGrades,
    TokenLogits,
    TrieNode,
)
from n2g.scoring import baseline_names

Format = Literal["parquet", "jsonl"]
FORMATS: dict[str, Format] = {".parquet": "parquet", ".jsonl": "jsonl"}
ROWS_PER_GROUP = 500  # units converted and written at a time (a Parquet row group)
# A batch of rows: dicts (unit_row), or an Arrow table of row_schema() (n2g.export_stored)
RowBatch: TypeAlias = "list[dict[str, Any]] | Any"


def export_format(path: Path) -> Format:
    """The format a target's suffix names; N2GError for another."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise N2GError(f"export to .parquet or .jsonl, not {path.name!r}")
    return found


def unit_row(graph: NeuronGraph) -> dict[str, Any]:
    """One unit as one row (nested records where the graph nests)."""
    row = graph.model_dump(mode="json", exclude={"neuron", "format_version"})
    return {
        "key": graph.key,
        "model": graph.model,
        "layer": graph.layer,
        "index": graph.neuron,
        "unit_set": graph.unit_set,
        "hook_name": graph.hook_name,
        "label": unit_label(graph),
        **{
            name: value for name, value in row.items() if name not in ("model", "layer", "unit_set")
        },
        "edges": [list(edge) for edge in graph.edges],
    }


def label_hook(row: Mapping[str, Any]) -> str:
    """The hook a row's index counts in: the SAE's for latents, the MLP's for neurons."""
    return (
        row["hook_name"]
        if row["unit_set"] is not None and row["hook_name"]
        else f"blocks.{row['layer']}.mlp.hook_post"
    )


def write_rows(graphs: Iterable[NeuronGraph], out: Path, *, labels: Path | None = None) -> int:
    """Write every graph as a row of `out` (its suffix names the format) and, when asked,
    the labels file; return how many units. Nothing is left behind on failure."""
    return write_batches(_row_batches(graphs), out, labels=labels)


def _row_batches(graphs: Iterable[NeuronGraph]) -> Iterator[RowBatch]:
    batch: list[dict[str, Any]] = []
    for graph in graphs:
        batch.append(unit_row(graph))
        if len(batch) == ROWS_PER_GROUP:
            yield batch
            batch = []
    if batch:
        yield batch


def write_batches(batches: Iterable[RowBatch], out: Path, *, labels: Path | None = None) -> int:
    """Write each batch of rows (a list of rows, or an Arrow table of `row_schema()` for
    Parquet) to `out`, a batch at a time so a whole model never sits in memory, and, when
    asked, the labels file; return how many units. Nothing is left behind on failure."""
    fmt = export_format(out)
    by_model: dict[str, dict[str, dict[str, str]]] = {}
    n_rows = 0
    _check_folder(out)
    if labels is not None:
        _check_folder(labels)
    with open_atomic(out, binary=True) as file, _sink(fmt, file) as write:
        for batch in batches:
            write(batch)
            for row in _label_rows(batch):
                hooks = by_model.setdefault(row["model"], {})
                hooks.setdefault(label_hook(row), {})[str(row["index"])] = row["label"]
            n_rows += len(batch)
        if not n_rows:
            raise N2GError("no unit to export (check the model, layer or graph file)")
    if labels is not None:
        write_text_atomic(labels, json.dumps(by_model, ensure_ascii=False, indent=1))
    return n_rows


LABEL_COLUMNS = ["model", "layer", "index", "unit_set", "hook_name", "label"]


def _label_rows(batch: RowBatch) -> Iterable[Mapping[str, Any]]:
    """What the labels file takes of each row of a batch."""
    return batch if isinstance(batch, list) else batch.select(LABEL_COLUMNS).to_pylist()


def _check_folder(target: Path) -> None:
    if not Path(target).parent.is_dir():
        raise N2GError(f"cannot write {target}: no folder {Path(target).parent}")


@contextlib.contextmanager
def _sink(fmt: Format, file: IO[bytes]) -> Iterator[Callable[[RowBatch], None]]:
    """A function that appends a batch of rows to `file` in `fmt`."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = row_schema()

        def write_table(batch: RowBatch) -> None:
            table = batch if not isinstance(batch, list) else pa.Table.from_pylist(batch, schema)
            writer.write_table(table)

        with pq.ParquetWriter(file, schema) as writer:
            yield write_table
    else:

        def write_lines(batch: RowBatch) -> None:  # rows only: tables are for Parquet
            # ASCII escapes: a line separator inside a token (U+2028, U+0085) stays inside
            # its line for every reader, whatever it splits lines on
            file.writelines((json.dumps(row) + "\n").encode() for row in batch)

        yield write_lines


@functools.cache
def row_schema() -> Any:  # a pyarrow.Schema (pyarrow is imported lazily)
    """The Parquet schema of a row, read off a unit with every optional field set, so every
    row group has the same column types whatever its units leave empty."""
    import pyarrow as pa

    return pa.Table.from_pylist([unit_row(_complete_unit())]).schema


def _complete_unit() -> NeuronGraph:
    """A unit with every field the format has set (the schema's model)."""
    scores = Scores(precision=0.5, recall=0.5, f1=0.5)
    baseline = BaselineOutOfDistribution(false_positive_rate=0.1, scores=scores)
    ood = OutOfDistribution(
        corpus="c", n_tokens=1, n_true_firing=1, false_positive_rate=0.1, scores=scores,
        baselines=dict.fromkeys(baseline_names(), baseline),
    )  # fmt: skip
    correlation = Correlation(n_top_windows=1, n_random_windows=1, n2g=0.5,
                              baselines=dict.fromkeys(baseline_names(), 0.5))  # fmt: skip
    judged = Classification(balanced_accuracy=0.5, true_positive_rate=0.5,
                            true_negative_rate=0.5, decile_hits=[1])  # fmt: skip
    both = DelphiMethod(detection=judged, fuzzing=judged)
    delphi = Delphi(context_tokens=1, decile_sizes=[1], n_non_activating=1, n_highlighted=1,
                    n2g=both, baselines=dict.fromkeys(baseline_names(), both))  # fmt: skip
    evaluation = Evaluation(
        n_train_examples=1, n_test_examples=1, n_test_tokens=1, n_test_firing=1, n2g=scores,
        baselines=dict.fromkeys(baseline_names(), scores), out_of_distribution=ood,
        correlation=correlation, delphi=delphi,
    )  # fmt: skip
    root = TrieNode(id=0, kind=NodeKind.ACTIVATING, depth=0, token="a", token_id=1,
                    activation=0.5, importance=0.5)  # fmt: skip
    end = TrieNode(id=1, kind=NodeKind.END, depth=1, activation=0.5)
    example = EvidenceExample(split="train", rank=0, start=0, tokens=["a"], activations=[0.5],
                              predicted=[0.5])  # fmt: skip
    return NeuronGraph(
        model="m", layer=0, neuron=0, unit_set="sae:x", hook_name="h", a_max=1.0, nodes=[root, end],
        edges=[(0, 1)], evaluation=evaluation, evidence=[example],
        settings=BuildSettings.legacy().model_copy(
            update={"mask_token_id": 0, "max_context": 32, "grade_tokens": 1}
        ),
        token_grades=TokenGrades(token_ids=[1], levels=[0.25]),
        output_tokens=OutputTokens(
            promoted=TokenLogits(token_ids=[1], tokens=["a"], logits=[1.0]),
            suppressed=TokenLogits(token_ids=[2], tokens=["b"], logits=[-1.0]),
        ),
        activation_histogram=ActivationHistogram(positions=2, negative=0, zero=1, counts=[1]),
    )  # fmt: skip
