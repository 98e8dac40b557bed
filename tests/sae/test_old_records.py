"""Records folders of latents written before the unit vocabulary (manifest format 1:
`d_mlp`, `sae`; the settings file's `sae`) still build, re-run and resume, through the
records folder's one upgrade step (n2g.record.store.upgrade_records_data).

The old folders are real recordings put back into the old form: format 1's manifest and
settings file held exactly these values under those names.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from sae_lens import StandardSAE, StandardSAEConfig
from sae_lens.saes.sae import SAEMetadata

from n2g.builder.stage import build_stage
from n2g.graph.file import iter_graph_file
from n2g.record.recorder import CHECKPOINT, CONFIG_FILE, record_stage
from n2g.record.store import MANIFEST, load_layer, load_manifest
from n2g.sae import SAEUnits, load_units
from tests.sae.test_latent_graphs import BUILD, RECORD

# format 2's name -> format 1's
OLD_NAMES = {"n_units": "d_mlp", "unit_set_spec": "sae"}


def _rewrite(path: Path, **updates: object) -> None:
    """The JSON file at `path` in format 1's names (its order kept), `updates` applied."""
    data = json.loads(path.read_text(encoding="utf-8"))
    old = {OLD_NAMES.get(name, name): value for name, value in data.items()}
    path.write_text(json.dumps(old | updates, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def path_units(sae_model, tmp_path_factory) -> SAEUnits:
    """An SAE from a SAELens folder (a `path:` spec: a build reloads it from there)."""
    folder = tmp_path_factory.mktemp("sae-folder") / "old-sae"
    metadata = SAEMetadata(hook_name="blocks.0.hook_mlp_out")
    d_model = sae_model.model.cfg.d_model
    sae = StandardSAE(StandardSAEConfig(d_in=d_model, d_sae=2 * d_model, metadata=metadata))
    with torch.no_grad():  # seeded non-zero weights and biases: latents that fire
        for parameter in sae.parameters():
            parameter.normal_(generator=torch.Generator().manual_seed(parameter.numel()))
    sae.save_model(str(folder))
    return load_units(f"path:{folder}", sae_model)


def test_a_format_1_folder_reads_rerecords_nothing_and_builds(
    sae_model, path_units, corpus_file, tmp_path
) -> None:
    view = sae_model.with_units(path_units)
    new, old = tmp_path / "new", tmp_path / "old"
    manifest = record_stage(view, str(corpus_file), [0], new, RECORD, progress=False)
    assert manifest.format_version == 2 and manifest.unit_set_spec == path_units.spec
    shutil.copytree(new, old)
    _rewrite(old / MANIFEST, format_version=1)
    _rewrite(old / CONFIG_FILE)
    assert '"d_mlp"' in (old / MANIFEST).read_text() and '"sae"' in (old / CONFIG_FILE).read_text()

    assert load_manifest(old) == manifest.model_copy(update={"format_version": 1})
    batches: list[int] = []
    again = record_stage(view, str(corpus_file), [0], old, RECORD, on_batch=batches.append,
                         progress=False)  # fmt: skip
    assert batches == [] and again == load_manifest(old)  # finished: nothing re-recorded
    # a build given the MLP neurons' model explains the latents the old records name
    for folder in (new, old):
        build_stage(sae_model, folder, folder / "graphs.jsonl", BUILD, neurons=[0, 1, 2],
                    progress=False)  # fmt: skip
    built = {f: [g for _, g in iter_graph_file(f / "graphs.jsonl")] for f in (new, old)}
    assert {g.unit_set for g in built[old]} == {"sae:old-sae"}
    assert built[old] == built[new]


def test_an_unfinished_folder_of_the_old_form_resumes(
    sae_model, path_units, corpus_file, tmp_path
) -> None:
    view = sae_model.with_units(path_units)
    record_stage(view, str(corpus_file), [0], tmp_path / "whole", RECORD, progress=False)

    def interrupt_after_three_batches(done: int) -> None:
        if done == 3 * RECORD.batch_size:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C

    out = tmp_path / "old"
    with pytest.raises(KeyboardInterrupt):
        record_stage(view, str(corpus_file), [0], out, RECORD, progress=False,
                     on_batch=interrupt_after_three_batches)  # fmt: skip
    assert (out / CHECKPOINT).is_file() and not (out / MANIFEST).exists()
    _rewrite(out / CONFIG_FILE)  # as an older n2g left it
    seen: list[int] = []
    record_stage(view, str(corpus_file), [0], out, RECORD, progress=False, on_batch=seen.append)
    assert seen[0] == 4 * RECORD.batch_size  # went on from the checkpoint
    assert load_manifest(out) == load_manifest(tmp_path / "whole")
    a, b = load_layer(tmp_path / "whole", 0), load_layer(out, 0)
    for name in ("tokens", "acts", "lengths", "doc_ids", "scores", "a_max"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
