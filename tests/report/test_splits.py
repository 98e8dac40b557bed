"""The report's count of neurons split into latents equals `n2g split`'s answers, unit by
unit, on the random neurons and latents the query is checked on."""

from __future__ import annotations

from n2g.report.groups import graph_token_sets
from n2g.report.splits import split_counts, split_markdown
from n2g.search.splits import MIN_INSIDE
from n2g.testing.brute_force import brute_force_splits
from n2g.testing.splits import NEURON_KEY, SAE, TRANSCODER, random_split_graphs, split_graphs


def test_counts_equal_brute_force() -> None:
    graphs = random_split_graphs()
    sets = {s.key: s for s in graph_token_sets(graphs)}
    unit_set_of = {g.key: g.unit_set for g in graphs}
    rows = split_counts(graphs)
    assert [(row.layer, row.unit_set) for row in rows] == [
        (layer, f"{kind}:L{layer}-r") for layer in range(3) for kind in ("sae", "tc")
    ]
    for row in rows:
        latents = [sets[g.key] for g in graphs if g.unit_set == row.unit_set]
        assert row.model == "splitrand"
        neurons = [sets[g.key] for g in graphs if g.unit_set is None and g.layer == row.layer]
        inside = [
            [
                r["key"]
                for r in brute_force_splits(n, latents, unit_set_of, MIN_INSIDE)
                if r["inside"]
            ]
            for n in neurons
            if n.activating
        ]
        assert row.neurons == len(inside)
        assert row.latents == sum(bool(latent.activating) for latent in latents)
        assert (row.split, row.one_inside) == (
            sum(len(keys) >= 2 for keys in inside),
            sum(len(keys) == 1 for keys in inside),
        )
        assert row.latents_inside == len({key for keys in inside for key in keys})
    assert any(row.split for row in rows)


def test_the_known_layer_and_its_markdown() -> None:
    counted = split_counts(split_graphs())
    assert {row.model for row in counted} == {"split"}  # the other model has no neurons
    rows = {row.unit_set: row for row in counted if row.layer == 1}
    assert (rows[SAE].neurons, rows[SAE].split, rows[SAE].latents_inside) == (2, 1, 2)
    assert rows[TRANSCODER].split == 0  # its one latent is half inside NEURON_KEY
    text = "\n".join(split_markdown(list(rows.values())))
    assert "| 1 | sae:L1-split-4x | 2 | 1 (50.0%) | 1 | 2 of 4 |" in text, text
    assert split_markdown([]) == [] and NEURON_KEY.endswith("/1/0")


def test_n2g_report_shows_the_counts(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from n2g.cli import app
    from n2g.testing.synthetic import write_graph_file

    write_graph_file(tmp_path / "g.jsonl", split_graphs())
    result = CliRunner().invoke(app, ["report", str(tmp_path / "g.jsonl")])
    assert result.exit_code == 0, result.output
    assert "### Neurons split into latents" in result.output
    result = CliRunner().invoke(app, ["report", str(tmp_path / "g.jsonl"), "--json"])
    splits = json.loads(result.stdout)["splits"]
    assert [(row["unit_set"], row["split"]) for row in splits] == [(SAE, 1), (TRANSCODER, 0)]
