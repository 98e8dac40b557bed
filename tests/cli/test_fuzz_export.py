"""The fuzz corpus through `n2g export`: every hostile token (NUL, escapes, RTL marks,
5,000-character tokens, ...) comes back exactly from Parquet and from JSON Lines, written
from the database and from the graph file alike."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.graph.file import dump_graph_line
from tests.cli.test_fuzz_tokens import GRAPHS, loaded

__all__ = ["loaded"]  # the module-scoped fixture that loads the fuzz graphs
runner = CliRunner()


def _tokens_by_key(rows) -> dict[str, list[tuple[int, str | None]]]:
    return {
        row["key"]: sorted((node["id"], node["token"]) for node in row["nodes"]) for row in rows
    }


EXPECTED = {g.key: sorted((n.id, n.token) for n in g.nodes) for g in GRAPHS}


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
@pytest.mark.parametrize("source", ["database", "graph file"])
def test_every_token_comes_back_exactly(loaded, tmp_path, suffix, source) -> None:
    out = tmp_path / f"units{suffix}"
    if source == "database":
        args = [str(out), "-m", "fuzz", *loaded.args]
    else:
        path = tmp_path / "graphs.jsonl"
        path.write_text("".join(dump_graph_line(g) + "\n" for g in GRAPHS), encoding="utf-8")
        args = [str(out), "--graphs", str(path)]
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output
    if suffix == ".parquet":
        import pandas as pd

        rows = pd.read_parquet(out).to_dict("records")
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert _tokens_by_key(rows) == EXPECTED
