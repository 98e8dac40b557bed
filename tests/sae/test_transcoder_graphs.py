"""Transcoder latents as units end to end on the tiny model: record, build, store, search.

The same path as SAE latents (test_latent_graphs): the model's `with_units` view reads the
MLP's input and answers with the transcoder's latents. Checked against brute force through
SAELens' own Transcoder, then stored beside neurons and SAE latents in the real local
database, where search, `like`, similarity and groups treat all three alike.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sae_lens import SAE

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.stage import build_stage
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_files
from n2g.export import write_rows
from n2g.graph.file import iter_graph_file
from n2g.graph.key import parse_neuron_key
from n2g.record.recorder import record_stage
from n2g.record.store import load_layer, load_manifest
from n2g.sae.acts import hook_activations
from n2g.search import NeuronSearch, SimilarityConfig
from n2g.testing.plain_builder import graph_signature, plain_neuron_graphs
from tests.sae.test_latent_graphs import BUILD, RECORD


@pytest.fixture(scope="module")
def tc_records(sae_model, tc_units, corpus_file, tmp_path_factory):
    view = sae_model.with_units(tc_units)
    folder = tmp_path_factory.mktemp("tc-records")
    record_stage(view, str(corpus_file), [tc_units.layer], folder, RECORD, progress=False)
    return view, folder


def test_recorded_latents_equal_saelens_transcoder(tc_records, tc_units):
    view, folder = tc_records
    manifest = load_manifest(folder)
    assert manifest.unit_set_spec == "L0-tc-4x" and manifest.n_units == tc_units.n_units
    assert tc_units.folder is not None
    plain = SAE.load_from_disk(str(tc_units.folder))
    records = load_layer(folder, tc_units.layer)
    for latent in range(0, tc_units.n_units, 5):
        for tokens, acts in records.examples(latent)[:2]:
            mlp_in = hook_activations(view, "blocks.0.ln2.hook_normalized", [tokens.tolist()])
            with torch.no_grad():
                expected = plain.encode(mlp_in.clone())[0, :, latent].numpy()
            np.testing.assert_allclose(acts, expected, atol=1e-5)


def test_transcoder_graphs_equal_the_plain_builder(tc_records, tc_units):
    view, folder = tc_records
    records = load_layer(folder, tc_units.layer)
    latents = [1, 6, 30, 63]
    fast = build_neuron_graphs(view, records, latents, BUILD)
    plain = plain_neuron_graphs(view, records, latents, BUILD)
    assert [graph_signature(g) for g in fast] == [graph_signature(g) for g in plain]
    for graph, latent in zip(fast, latents, strict=True):
        assert (graph.unit_set, graph.hook_name, graph.layer) == (
            "tc:L0-tc-4x", "blocks.0.ln2.hook_normalized", 0,
        )  # fmt: skip
        assert graph.key == f"{view.name}/tc:L0-tc-4x/{latent}"
        assert parse_neuron_key(graph.key).unit_set == "tc:L0-tc-4x"


@pytest.fixture(scope="module")
def store(db_config, tc_records, sae_model, relu_units, corpus_file, sae_cache, tmp_path_factory):
    """Layer 0's neurons, SAE latents and transcoder latents, built and ingested together;
    the transcoder is reloaded from the spec its records name (from the cache), as `n2g
    build` does."""
    _, tc_folder = tc_records
    work = tmp_path_factory.mktemp("tc-store")
    record_stage(sae_model, str(corpus_file), [0], work / "records", RECORD, progress=False)
    sae_view = sae_model.with_units(relu_units)
    record_stage(sae_view, str(corpus_file), [0], work / "sae-records", RECORD, progress=False)
    build_stage(sae_model, work / "records", work / "neurons.jsonl", BUILD, progress=False)
    build_stage(sae_view, work / "sae-records", work / "sae.jsonl", BUILD, progress=False)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("N2G_CACHE_DIR", str(sae_cache))
        build_stage(sae_model, tc_folder, work / "tc.jsonl", BUILD, progress=False)
    files = [work / "neurons.jsonl", work / "sae.jsonl", work / "tc.jsonl"]
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_files(database, files)
        yield database, {path.stem: [g for _, g in iter_graph_file(path)] for path in files}
    finally:
        database.close()


def test_transcoder_latents_are_stored_and_searched_beside_the_others(store, tc_units):
    db, graphs = store
    latents, neurons = graphs["tc"], graphs["neurons"] + graphs["sae"]
    assert len(latents) == tc_units.n_units and {g.unit_set for g in latents} == {"tc:L0-tc-4x"}
    search = NeuronSearch(db)
    latent = next(g for g in latents if g.activating_tokens())
    assert search.neuron_graph(latent.key) == latent
    token = next(iter(latent.activating_tokens()))
    hits = {h.key for h in search.token_search(token, limit=1000)}
    assert hits == {g.key for g in latents + neurons if token in g.activating_tokens()}
    # like, both ways: from a transcoder latent, and from a neuron to transcoder latents
    like = search.like(latent.key, min_score=0.0, limit=1000)
    assert like and latent.key not in {h.key for h in like}
    neuron = next(g for g in graphs["neurons"] if g.activating_tokens())
    kinds = {
        parse_neuron_key(h.key).unit_set for h in search.like(neuron.key, min_score=0.0, limit=1000)
    }
    assert "tc:L0-tc-4x" in kinds


def test_similarity_and_groups_take_transcoder_latents(store, sae_model):
    db, graphs = store
    search = NeuronSearch(db)
    sets = {s.key: s for s in search.token_sets([sae_model.name])}
    assert {g.key for g in graphs["tc"]} <= set(sets)
    report = search.compute_similarity([sae_model.name], SimilarityConfig(threshold=0.3))
    pairs = search.similar_pairs(sae_model.name, limit=500)
    assert report.similar_pairs > 0
    with_tc = [p for p in pairs if "/tc:" in p.source or "/tc:" in p.target]
    assert with_tc, "no similar pair holds a transcoder latent at threshold 0.3"
    groups = search.groups(model=sae_model.name, limit=500, max_members=10_000)
    members = {k for group in groups for k in group.members}
    assert any("/tc:" in key for key in members)


def test_export_rows_name_the_transcoder(store, tmp_path):
    _, graphs = store
    out, labels = tmp_path / "units.jsonl", tmp_path / "labels.json"
    assert write_rows(graphs["tc"], out, labels=labels) == len(graphs["tc"])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {row["unit_set"] for row in rows} == {"tc:L0-tc-4x"}
    (hooks,) = json.loads(labels.read_text()).values()  # one model's
    assert set(hooks) == {"blocks.0.ln2.hook_normalized"}
