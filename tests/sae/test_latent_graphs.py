"""SAE latents as units end to end on the tiny model: record, build, store, search.

The model's `with_units` view answers for latents wherever it answered for neurons, so
recording and the whole builder run unchanged; these tests check the numbers against
brute force through SAELens' encoder and that latents sit beside neurons in one store.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from n2g.builder.batch import build_neuron_graphs
from n2g.builder.config import BuildConfig
from n2g.builder.stage import build_stage
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, ingest_files
from n2g.errors import N2GError
from n2g.graph.file import iter_graph_file
from n2g.graph.key import parse_neuron_key
from n2g.record.config import RecordConfig
from n2g.record.recorder import record_stage
from n2g.record.store import load_layer, load_manifest
from n2g.sae.acts import hook_activations
from n2g.search import NeuronSearch
from n2g.testing.plain_builder import graph_signature, plain_neuron_graphs

RECORD = RecordConfig(window=16, k=8, batch_size=8)
BUILD = BuildConfig(
    n_examples=8,
    extra_train_examples=0,
    neurons_per_batch=16,
    batch_rows=64,
    random_windows=0,
)


@pytest.fixture(scope="module")
def latent_records(sae_model, relu_units, corpus_file, tmp_path_factory):
    view = sae_model.with_units(relu_units)
    folder = tmp_path_factory.mktemp("latent-records")
    record_stage(view, str(corpus_file), [relu_units.layer], folder, RECORD, progress=False)
    return view, folder


def test_recorded_latents_equal_the_encoder_on_every_window(latent_records, relu_units):
    view, folder = latent_records
    manifest = load_manifest(folder)
    assert manifest.unit_set_spec == relu_units.spec and manifest.n_units == relu_units.n_units
    records = load_layer(folder, relu_units.layer)
    for latent in range(0, relu_units.n_units, 7):
        for tokens, acts in records.examples(latent)[:2]:
            hooked = hook_activations(view, relu_units.hook_name, [tokens.tolist()])
            expected = relu_units.encode(hooked)[0, :, latent].numpy()
            np.testing.assert_allclose(acts, expected, atol=1e-5)
    # the gathered values (pruning, saliency) are the same latents
    tokens = records.examples(3)[0][0]
    gathered = view.gather_activations([tokens.tolist()] * 2, 0, [0, 1], [5, 9], [3, 40])
    full = view.unit_activations([tokens.tolist()], [0])[0][0]
    assert torch.allclose(gathered, torch.stack([full[5, 3], full[9, 40]]), atol=1e-5)


def test_latent_graphs_equal_the_plain_builder_and_carry_their_identity(latent_records, relu_units):
    view, folder = latent_records
    records = load_layer(folder, relu_units.layer)
    latents = [0, 5, 17, 33]
    fast = build_neuron_graphs(view, records, latents, BUILD)
    plain = plain_neuron_graphs(view, records, latents, BUILD)
    assert [graph_signature(g) for g in fast] == [graph_signature(g) for g in plain]
    for graph, latent in zip(fast, latents, strict=True):
        assert graph.unit_set == relu_units.name and graph.hook_name == relu_units.hook_name
        assert graph.key == f"{view.name}/{relu_units.name}/{latent}"
        assert parse_neuron_key(graph.key).unit_set == relu_units.name


def test_records_and_model_must_agree(sae_model, relu_units, corpus_file, tmp_path):
    neurons = tmp_path / "neuron-records"
    record_stage(sae_model, str(corpus_file), [0], neurons, RECORD, progress=False)
    view = sae_model.with_units(relu_units)
    with pytest.raises(N2GError, match="hold MLP neurons"):
        build_stage(view, neurons, tmp_path / "graphs.jsonl", BUILD, progress=False)
    with pytest.raises(ValueError, match="reads layer 0"):
        view.check_layer(1)


@pytest.fixture(scope="module")
def store(db_config, latent_records, sae_model, corpus_file, tmp_path_factory):
    """Neurons of layer 0 and the SAE's latents, built to files and ingested together."""
    view, latent_folder = latent_records
    work = tmp_path_factory.mktemp("units-store")
    record_stage(sae_model, str(corpus_file), [0], work / "records", RECORD, progress=False)
    build_stage(sae_model, work / "records", work / "neurons.jsonl", BUILD, progress=False)
    build_stage(view, latent_folder, work / "latents.jsonl", BUILD, progress=False)
    database = Database.connect(db_config)
    try:
        clear_database(database)
        ingest_files(database, [work / "neurons.jsonl", work / "latents.jsonl"])
        yield database, work
    finally:
        database.close()


def test_latents_are_stored_and_searched_beside_neurons(store, relu_units, sae_model):
    db, work = store
    latents = [g for _, g in iter_graph_file(work / "latents.jsonl")]
    neurons = [g for _, g in iter_graph_file(work / "neurons.jsonl")]
    assert len(latents) == relu_units.n_units and len(neurons) == sae_model.n_units
    search = NeuronSearch(db)
    latent = next(g for g in latents if max(g.activating_tokens().values(), default=0) >= 0.5)
    assert search.neuron_graph(latent.key) == latent  # identity and trie round-trip
    token = max(latent.activating_tokens(), key=latent.activating_tokens().__getitem__)
    hits = {h.key for h in search.token_search(token, limit=1000)}
    expected = {  # units whose paths from the token predict firing (n2g.graph.levels)
        g.key for g in latents + neurons if g.activating_tokens().get(token, 0.0) >= 0.5
    }
    assert hits == expected and latent.key in hits
    # "which latents behave like this neuron": one query over both kinds of unit
    neuron = next(g for g in neurons if g.activating_tokens())
    like = search.like(neuron.key, min_score=0.0, limit=1000)
    assert any(parse_neuron_key(h.key).unit_set == relu_units.name for h in like)
