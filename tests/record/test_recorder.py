"""The streaming recorder against brute force, resume after a real Ctrl-C, re-runs, errors."""

from __future__ import annotations

import os
import shutil
import signal
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import torch

from n2g.errors import N2GError
from n2g.models.tiny import tiny_model
from n2g.record.config import RecordConfig
from n2g.record.corpus import open_corpus, windows
from n2g.record.recorder import CHECKPOINT, record_stage
from n2g.record.store import load_layer, load_manifest

WINDOW, K, BATCH, LIMIT = 24, 5, 8, 90  # 90 windows: 11 full batches + a partial one


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    """A small real text corpus: a few standard-library modules."""
    folder = tmp_path_factory.mktemp("corpus")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("bisect.py", "this.py", "colorsys.py"):
        shutil.copy(stdlib / name, folder / name)
    return folder


def _config(**changes) -> RecordConfig:
    settings = dict(window=WINDOW, k=K, batch_size=BATCH, max_windows=LIMIT, max_tokens=None)
    settings.update(changes)
    return RecordConfig(**settings)


def record(model, corpus, out: Path, layers=(0, 1), config=None, **kwargs):
    """The record stage with this file's settings (progress off)."""
    kwargs.setdefault("progress", False)
    return record_stage(model, corpus, list(layers), out, config or _config(), **kwargs)


def brute_force(model, corpus, layer: int):
    """Every window's activations, then a stable sort by window max for every neuron."""
    items = list(windows(corpus, model.tokenizer, WINDOW, max_windows=LIMIT))
    acts = []
    for start in range(0, len(items), BATCH):  # same batches as the recorder: bitwise equal
        batch = torch.tensor([ids for _, ids in items[start : start + BATCH]])
        acts.append(model.unit_activations(batch, [layer])[layer])
    acts = torch.cat(acts).numpy()  # [N, W, d]
    tokens = np.array([ids for _, ids in items])
    docs = np.array([doc for doc, _ in items])
    scores = acts.max(axis=1)  # [N, d]
    return acts, tokens, docs, scores


@pytest.mark.parametrize(
    ("act_fn", "dtype"), [("gelu", "float32"), ("solu_ln", "float32"), ("gelu", "bfloat16")]
)
def test_top_k_equals_brute_force(tmp_path, corpus_dir, act_fn, dtype):
    model = tiny_model(act_fn=act_fn, seed=2).cast(dtype)
    corpus = open_corpus(str(corpus_dir))
    manifest = record(model, corpus, tmp_path / "r")
    assert (manifest.n_windows, manifest.n_tokens) == (LIMIT, LIMIT * WINDOW)
    assert manifest.model == model.name and manifest.corpus == corpus.name
    assert manifest.dtype == dtype
    for layer in (0, 1):
        got = load_layer(tmp_path / "r", layer)
        acts, tokens, docs, scores = brute_force(model, corpus, layer)
        np.testing.assert_array_equal(got.a_max, scores.max(axis=0))
        for neuron in range(model.n_units):
            best = np.argsort(-scores[:, neuron], kind="stable")[:K]
            np.testing.assert_array_equal(got.scores[neuron], scores[best, neuron])
            np.testing.assert_array_equal(got.tokens[neuron], tokens[best])
            np.testing.assert_array_equal(got.acts[neuron], acts[best, :, neuron])
            np.testing.assert_array_equal(got.doc_ids[neuron], docs[best])
        assert (got.lengths == WINDOW).all()


def test_interrupt_then_resume_is_identical(tmp_path, corpus_dir):
    model = tiny_model(act_fn="solu_ln", seed=4)
    corpus = open_corpus(str(corpus_dir))
    record(model, corpus, tmp_path / "whole")

    def interrupt_after_five_batches(done: int) -> None:
        if done == 5 * BATCH:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C

    resumed = tmp_path / "resumed"
    config = _config(checkpoint_every=2 * BATCH)
    with pytest.raises(KeyboardInterrupt):
        record(model, corpus, resumed, config=config, on_batch=interrupt_after_five_batches)
    assert (resumed / CHECKPOINT).is_file() and not (resumed / "manifest.json").exists()
    seen = []
    record(model, corpus, resumed, config=config, on_batch=seen.append)
    assert seen[0] == 6 * BATCH  # continued after the fifth batch, nothing re-done
    assert not (resumed / CHECKPOINT).exists()
    for layer in (0, 1):
        a, b = load_layer(tmp_path / "whole", layer), load_layer(resumed, layer)
        assert a.histogram is not None
        for name in ("tokens", "acts", "lengths", "doc_ids", "scores", "a_max", "histogram"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert load_manifest(resumed) == load_manifest(tmp_path / "whole")


def _interrupted_checkpoint(model, corpus, out: Path, config) -> dict:
    """Record until a real Ctrl-C after the third batch; the checkpoint's tensors."""
    from safetensors.torch import load_file

    def interrupt(done: int) -> None:
        if done == 3 * BATCH:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        record(model, corpus, out, config=config, on_batch=interrupt)
    return load_file(str(out / CHECKPOINT))


def test_checkpoint_keeps_each_held_window_once(tmp_path, corpus_dir):
    """Tokens live in one table of the windows some slot of some layer holds (not in every
    slot): exactly those, each once, with its real tokens."""
    from n2g.record.topk import EMPTY_SEQ

    model = tiny_model(seed=8)
    corpus = open_corpus(str(corpus_dir))
    tensors = _interrupted_checkpoint(model, corpus, tmp_path / "r", _config(samples=3))
    held = torch.cat([tensors[f"{key}.seq"].flatten() for key in ("0", "1", "sample0", "sample1")])
    held = torch.unique(held[held != EMPTY_SEQ])
    assert torch.equal(tensors["windows.seq"], held)
    items = list(windows(corpus, model.tokenizer, WINDOW, max_windows=LIMIT))
    for seq, row in zip(held.tolist(), tensors["windows.tokens"], strict=True):
        assert row.tolist() == items[seq][1]
    assert not any(name.endswith(".tokens") and name != "windows.tokens" for name in tensors)


def test_window_table_drops_windows_no_slot_holds():
    from n2g.record.topk import EMPTY_SEQ, Windows

    table = Windows.empty(2)
    table.add(0, torch.tensor([[1, 2], [3, 4], [5, 6]]), [torch.tensor([[0, 2], [2, EMPTY_SEQ]])])
    assert table.seq.tolist() == [0, 2] and table.tokens.tolist() == [[1, 2], [5, 6]]
    table.add(3, torch.tensor([[7, 8]]), [torch.tensor([3, 2])])  # window 0 evicted
    assert table.seq.tolist() == [2, 3] and table.tokens.dtype == torch.int32
    looked = table.lookup(torch.tensor([[3, EMPTY_SEQ], [0, 2]]), pad_id=9)
    assert looked.tolist() == [[[7, 8], [9, 9]], [[9, 9], [5, 6]]]


def test_resume_from_a_checkpoint_with_tokens_in_every_slot(tmp_path, corpus_dir):
    """A checkpoint written before the window table (each slot its own tokens) resumes to
    the same records as an uninterrupted run: an upgrade loses no recording time."""
    from safetensors.torch import save_file

    from n2g.record.topk import Windows

    model = tiny_model(seed=9)
    corpus = open_corpus(str(corpus_dir))
    config = _config(samples=2)
    record(model, corpus, tmp_path / "whole", config=config)
    out = tmp_path / "old"
    tensors = _interrupted_checkpoint(model, corpus, out, config)
    table = Windows(tensors.pop("windows.seq"), tensors.pop("windows.tokens"))
    for key in ("0", "1", "sample0", "sample1"):
        tensors[f"{key}.tokens"] = table.lookup(tensors[f"{key}.seq"], 0)
    from safetensors import safe_open

    with safe_open(str(out / CHECKPOINT), framework="pt") as handle:
        metadata = handle.metadata()
    save_file(tensors, str(out / CHECKPOINT), metadata=metadata)
    record(model, corpus, out, config=config)
    for layer in (0, 1):
        a, b = load_layer(tmp_path / "whole", layer), load_layer(out, layer)
        for name in ("tokens", "acts", "lengths", "doc_ids", "scores", "a_max"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert a.sample is not None and b.sample is not None
        np.testing.assert_array_equal(a.sample.tokens, b.sample.tokens)


def test_rerun_is_noop_and_other_settings_are_refused(tmp_path, corpus_dir):
    model = tiny_model(seed=5)
    corpus = open_corpus(str(corpus_dir))
    out = tmp_path / "r"
    first = record(model, corpus, out)
    stamp = (out / "layer_0.safetensors").stat().st_mtime_ns
    calls = []
    again = record(model, corpus, out, on_batch=calls.append)
    assert again == first and calls == []
    assert (out / "layer_0.safetensors").stat().st_mtime_ns == stamp
    with pytest.raises(N2GError, match=r"other settings: k=5 \(now 7\)"):
        record(model, corpus, out, config=_config(k=7))


def test_fewer_windows_than_k_leaves_empty_slots(tmp_path, corpus_dir):
    model = tiny_model(seed=6)
    corpus = open_corpus(str(corpus_dir))
    record(model, corpus, tmp_path / "r", config=_config(max_windows=3))
    got = load_layer(tmp_path / "r", 0)
    assert (got.lengths[:, :3] == WINDOW).all() and (got.lengths[:, 3:] == 0).all()
    assert (got.doc_ids[:, 3:] == -1).all()
    assert len(got.examples(0)) == 3


def test_bad_layer_and_empty_corpus(tmp_path):
    model = tiny_model(n_layers=2)
    (tmp_path / "c.txt").write_text("too short for a window")
    corpus = open_corpus(str(tmp_path / "c.txt"))
    with pytest.raises(N2GError, match="out of range"):
        record(model, corpus, tmp_path / "a", layers=[2])
    with pytest.raises(N2GError, match="no document of at least"):
        record(model, corpus, tmp_path / "b")
    assert not (tmp_path / "b" / "manifest.json").exists()


def test_corrupt_checkpoint_is_one_line(tmp_path, corpus_dir):
    model = tiny_model(seed=7)
    out = tmp_path / "r"
    config = _config()
    corpus = open_corpus(str(corpus_dir))
    with pytest.raises(KeyboardInterrupt):
        record(
            model,
            corpus,
            out,
            config=config,
            on_batch=lambda d: os.kill(os.getpid(), signal.SIGINT),
        )
    (out / CHECKPOINT).write_bytes(b"garbage")
    with pytest.raises(N2GError, match="unreadable checkpoint"):
        record(model, corpus, out, config=config)


def test_weighted_sample_equals_brute_force_and_ignores_batching(tmp_path, corpus_dir):
    """The sample is the k largest A-Res keys over all windows; the keys hash the stream
    index, so another batch size (as after a resume) gives the same sample."""
    import torch

    from n2g.record.topk import sample_keys

    model = tiny_model(act_fn="gelu", seed=2)
    corpus = open_corpus(str(corpus_dir))
    n = 6
    record(model, corpus, tmp_path / "a", config=_config(samples=n, seed=3))
    record(model, corpus, tmp_path / "b", config=_config(samples=n, seed=3, batch_size=5))
    for layer in (0, 1):
        got = load_layer(tmp_path / "a", layer).sample
        other = load_layer(tmp_path / "b", layer).sample
        assert got is not None and other is not None
        np.testing.assert_array_equal(got.tokens, other.tokens)
        acts, tokens, _, scores = brute_force(model, corpus, layer)
        keys = sample_keys(torch.from_numpy(scores), 0, 3).to(torch.float32).numpy()
        for neuron in range(model.n_units):
            best = np.argsort(-keys[:, neuron], kind="stable")[:n]
            best = [b for b in best if np.isfinite(keys[b, neuron])]
            np.testing.assert_array_equal(got.tokens[neuron, : len(best)], tokens[best])
            np.testing.assert_array_equal(got.acts[neuron, : len(best)], acts[best, :, neuron])
    top = load_layer(tmp_path / "a", 0)
    assert top.scores.shape[1] == K  # the top-k is unchanged by sampling


def test_sample_keys_favour_strong_windows():
    import torch

    from n2g.record.topk import sample_keys

    weights = torch.tensor([[0.1, 1.0, 10.0, 0.0]]).repeat(4000, 1)
    keys = sample_keys(weights, 0, 0)
    assert torch.isinf(keys[:, 3]).all()  # never fires: never sampled
    winners = keys[:, :3].argmax(dim=1).bincount(minlength=3).double() / 4000
    assert winners[2] > winners[1] > winners[0]  # probability grows with the activation


@pytest.mark.parametrize("damage", ["truncate", "empty"])
def test_a_damaged_records_file_is_one_line(tmp_path, corpus_dir, damage):
    model = tiny_model(seed=7)
    out = tmp_path / "r"
    record_stage(model, open_corpus(str(corpus_dir)), [0], out, _config(), progress=False)
    path = out / "layer_0.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"")
    with pytest.raises(N2GError, match="unreadable records file .*layer_0.safetensors") as info:
        load_layer(out, 0)
    assert "\n" not in str(info.value) and "n2g record" in str(info.value)


def test_symlinks_planted_in_the_records_folder_are_never_written_through(tmp_path, corpus_dir):
    """The checkpoint's temporary file has a random name (a symlink planted at the old fixed
    `.record_checkpoint.safetensors.tmp` is not followed), and the settings file replaces a
    dangling symlink at its name rather than creating the file it points at."""
    model = tiny_model(seed=4)
    corpus = open_corpus(str(corpus_dir))
    out, victim, elsewhere = tmp_path / "r", tmp_path / "victim", tmp_path / "elsewhere.json"
    out.mkdir()
    victim.write_bytes(b"precious")
    (out / f".{CHECKPOINT}.tmp").symlink_to(victim)
    (out / "record_config.json").symlink_to(elsewhere)
    _interrupted_checkpoint(model, corpus, out, _config())
    assert victim.read_bytes() == b"precious" and not elsewhere.exists()
    for name in (CHECKPOINT, "record_config.json"):
        assert (out / name).is_file() and not (out / name).is_symlink(), name
