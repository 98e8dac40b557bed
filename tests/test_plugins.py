"""Plug-ins by entry point (n2g.plugins): the registries' rules, and the out-of-tree
example package of tests/data/plugins/ really installed and run through `n2g run`.

The fast tests read distributions written into a temporary folder on sys.path (a
`*.dist-info` with its entry_points.txt: what an installer leaves, and all that
importlib.metadata reads). The slow ones install the example (one plug-in of each kind)
and a broken package with pip into a target folder, no network and no build isolation,
and run `n2g` in a subprocess with that folder on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from n2g.builder.helpers import HELPERS
from n2g.errors import N2GError
from n2g.models import MODELS
from n2g.plugins import BUILT_IN, PluginError, Registry
from n2g.record.corpus import CORPORA, open_corpus

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "tests" / "data" / "plugins"


def _distribution(site: Path, name: str, entry_points: str, module: str = "") -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    if module:
        (site / f"{name.replace('-', '_')}.py").write_text(module)


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def _registry() -> Registry:
    registry: Registry = Registry("corpora", "a corpus factory", callable)
    registry.add("stdlib", "the built-in")
    return registry


def test_a_built_in_wins_over_a_plug_in_of_its_name_with_one_warning(site, capsys) -> None:
    _distribution(
        site, "clash", "[neuron2graph.corpora]\nstdlib = clash:make\nmine = clash:make\n",
        "def make(spec, *, cache_dir):\n    return spec\n",
    )  # fmt: skip
    registry = _registry()
    assert registry.find("stdlib") == "the built-in"  # found without reading entry points
    assert capsys.readouterr().err == ""
    assert registry.names() == ["stdlib", "mine"]
    warning = capsys.readouterr().err.strip()
    assert warning == (
        "warning: plug-in 'stdlib' (neuron2graph.corpora) of distribution clash 1.0 is "
        "ignored: n2g's own 'stdlib' comes first"
    )
    assert registry.find("mine:some argument")("mine", cache_dir=None) == "mine"
    listed = {p.name: p.source for p in registry.listing()}
    assert listed == {"stdlib": BUILT_IN, "mine": "clash 1.0"}


def test_a_broken_plug_in_is_one_error_naming_it_and_its_distribution(site) -> None:
    _distribution(
        site, "broken-dist",
        "[neuron2graph.corpora]\nraises = broken_dist:make\nstring = broken_dist:TEXT\n",
        "TEXT = 'x'\n\ndef make(spec, *, cache_dir):\n    return spec\n\n"
        "raise RuntimeError('boom')\n",
    )  # fmt: skip
    registry = _registry()
    with pytest.raises(PluginError) as raised:
        registry.find("raises")
    assert str(raised.value) == (
        "plug-in 'raises' (neuron2graph.corpora = broken_dist:make) of distribution "
        "broken-dist 1.0 cannot be loaded: RuntimeError: boom"
    )
    problems = {p.name: p.problem for p in _registry().listing(load=True)}
    assert problems["stdlib"] is None
    assert "cannot be loaded: RuntimeError: boom" in str(problems["raises"])
    assert registry.find("nothing") is None


def test_a_loaded_object_breaking_the_contract_is_refused(site) -> None:
    _distribution(site, "wrong", "[neuron2graph.corpora]\ntext = wrong:TEXT\n", "TEXT = 'x'\n")
    with pytest.raises(PluginError, match=r"'text' .* of distribution wrong 1.0 is not a corpus"):
        _registry().find("text")


def test_every_existing_spelling_is_a_built_in() -> None:
    assert MODELS.knows("smollm2-135m") and MODELS.knows("SmolLM2-135M")
    assert MODELS.knows("tiny-solu_ln-2l-s3") and MODELS.knows(str(ROOT))
    assert {"none", "embed", "mlm", "causal"} == set(HELPERS.builtin_names())
    for spec in ("none", "embed", "mlm:distilbert-base-uncased", "causal", "causal:smollm2-135m"):
        assert HELPERS.knows(spec)
    for spec in ("stdlib", "python-docs", "debian-handbook", "hf:wikitext", str(ROOT)):
        assert CORPORA.knows(spec)
    assert not HELPERS.knows("no-such-helper") and not CORPORA.knows("/no/such/corpus")
    with pytest.raises(N2GError, match="corpus '/no/such/corpus' not found"):
        open_corpus("/no/such/corpus")


# ---- the example package, installed, through `n2g run` (slow) ---------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """The example and the broken package, each installed by pip into a target folder of
    its own (copied first: an in-tree build leaves build/ and *.egg-info behind)."""
    work = tmp_path_factory.mktemp("plugins")
    sources = shutil.copytree(PACKAGES, work / "sources")
    targets = (work / "example", work / "broken")
    for target in targets:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
             "--no-build-isolation", "--target", str(target), str(sources / target.name)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return targets


def _n2g(sites: tuple[Path, ...], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, sites), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "n2g", *args], env=env, capture_output=True, text=True,
        timeout=600, cwd=sites[0].parent,
    )  # fmt: skip


@pytest.mark.slow
def test_an_installed_plug_in_of_each_kind_runs_through_n2g_run(installed, db_config) -> None:
    example, _ = installed
    out = example.parent / "run"
    done = _n2g(
        (example,), "run", "--model", "example-tiny", "--layers", "0",
        "--neurons-per-layer", "6", "--corpus", "example-texts",
        "--ood-corpus", "example-texts:upper", "--max-tokens", "4000", "--window", "32",
        "--k", "6", "--helper", "example-vowels", "--out", str(out), "--quiet",
        "--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password,
        *(["--database", db_config.database] if db_config.database else []),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "warning: plug-in" not in done.stderr
    # Read as JSON: this process has not the plug-in, so its graph reader refuses the scores.
    lines = (out / "graphs.jsonl").read_text(encoding="utf-8").splitlines()
    graphs = [json.loads(line) for line in lines]
    assert len(graphs) == 6
    for graph in graphs:
        assert graph["model"] == "example-tiny" and graph["settings"]["helper"] == "example-vowels"
        evaluation = graph["evaluation"]
        scores = evaluation["baselines"]["always_fires"]
        if evaluation["n_test_firing"]:  # every token predicted to fire: recall 1, precision
            assert scores["recall"] == 1.0  # the share of firing tokens
            share = evaluation["n_test_firing"] / evaluation["n_test_tokens"]
            assert scores["precision"] == pytest.approx(share)
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "Always fires" in report
    listed = _n2g(installed, "plugins", "--json")  # the broken package installed too
    rows = {(row["kind"], row["name"]): row["source"] for row in json.loads(listed.stdout)}
    assert rows[("models", "example-tiny")] == "n2g-plugin-example 0.1.0"
    assert rows[("scorers", "always_fires")] == "n2g-plugin-example 0.1.0"
    assert rows[("scorers", "bigram")] == BUILT_IN
    assert "warning: plug-in 'stdlib' (neuron2graph.corpora)" in listed.stderr


@pytest.mark.slow
def test_a_broken_installed_plug_in_is_one_error_line(installed) -> None:
    done = _n2g(installed, "record", "--model", "broken-model", "--out", "records")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: plug-in 'broken-model' (neuron2graph.models = n2g_plugin_broken:model) of "
        "distribution n2g-plugin-broken 0.1.0 cannot be loaded: ModuleNotFoundError: No "
        "module named 'n2g_no_such_dependency'"
    ]
    checked = _n2g(installed, "plugins", "--check")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    errors = [line for line in checked.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "'not-a-corpus'" in errors[1]


def test_listing_every_registry_imports_no_build_library() -> None:
    probe = (
        "import sys\n"
        "from n2g.plugins import registries\n"
        "names = [p.name for r in registries() for p in r.listing()]\n"
        "assert 'stdlib' in names and 'bigram' in names, names\n"
        "heavy = ('torch', 'transformers', 'transformer_lens', 'sae_lens')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
