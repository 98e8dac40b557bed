"""Every read-side command the README and the `--help` texts show answers something on the
main job's kind of data, and the README's Python example too (`n2g circuit` reads the
FEEDS edges `n2g feeds` computes here from the offline SmolLM2).

The data: real SmolLM2-135M graphs of layers 0-3 from the main job (`n2g run`'s defaults),
loaded into a real database server with the README's own `n2g-ingest` line. The whole
graph file is tens of megabytes, so this reads a sample of it
(tests/data/main-job-sample.jsonl.gz, made by scripts/main_job_sample.py): every unit the
user docs name, and 48 other units of each layer drawn at random around them. An example
"answers" when it exits 0 and names a unit of the store or counts more than none (in its
output or in a file it writes);
where the docs state the answer, that answer must be among them.

Not run here: the commands that write a model's data (record, build, run), start servers
(serve, db) or clear the store; tests/cli, tests/db and tests/serve run those.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from n2g.cli import app
from n2g.cli.ingest import app as ingest_app
from tests.cli.documented import README, argvs, help_examples, readme_examples

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "main-job-sample.jsonl.gz"
MODEL = "smollm2-135m"
WRITERS = {"record", "build", "run", "serve", "db", "feeds", "ablate"}
# What the docs say these return on the main job's data (README, docs/report-smollm2.md).
DOCUMENTED = {
    'search "/" --context " *"': "smollm2-135m/3/15",
    "like smollm2-135m/1/964": "smollm2-135m/2/1344",
    'search --label "://"': "smollm2-135m/0/1177",
    "show smollm2-135m/3/15": "smollm2-135m/3/15",
}
# An answer names a unit of the store, or counts more than none of them (ingest, similar,
# report: "222 neuron graph(s) read", "23 SIMILAR_TO pairs", "graphs: 222").
NAMES_A_UNIT = re.compile(rf'{MODEL}/\d+/\d+|"model":\s*"{MODEL}"')
COUNTED = re.compile(r"\b[1-9][\d,]* (neuron|unit|graph|SIMILAR_TO)|graphs: [1-9]")
runner = CliRunner()


def _read_side() -> list[list[str]]:
    """The documented argument lists this test runs, in a fixed order, without duplicates."""
    seen: dict[str, list[str]] = {}
    for line in [*readme_examples(), *help_examples()]:
        for argv in argvs(line):
            if argv[0] == "n2g" and argv[1] in WRITERS:
                continue
            if argv[0] == "n2g" and argv[1] == "report" and any("sae" in a for a in argv):
                continue  # the main job builds no SAE graph file; tests/sae runs this one
            if argv[0] == "n2g" and argv[1] == "split":
                continue  # the main job explains no latents; tests/cli/test_split_cmd.py
            if argv[0] == "n2g" and argv[1] == "plugins":
                continue  # lists what is installed, not the store: tests/test_plugins.py
            seen.setdefault(" ".join(argv), argv)
    return list(seen.values())


EXAMPLES = _read_side()


@pytest.fixture(scope="module")
def workdir(db_config, tmp_path_factory) -> Iterator[Path]:
    """A folder holding the sample where the examples expect graph files, the database
    named by N2G_* variables (as a user sets them), the sample ingested and `similar` run
    with the README's own lines."""
    folder = tmp_path_factory.mktemp("main-job")
    with gzip.open(SAMPLE, "rb") as sample, (folder / "graphs.jsonl").open("wb") as out:
        shutil.copyfileobj(sample, out)
    (folder / "n2g-run").mkdir()
    shutil.copy(folder / "graphs.jsonl", folder / "n2g-run" / "graphs.jsonl")
    settings = {"N2G_URI": db_config.uri, "N2G_USER": db_config.user}
    settings["N2G_PASSWORD"] = db_config.password
    if db_config.database:
        settings["N2G_DATABASE"] = db_config.database
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        patch.chdir(folder)
        loaded = runner.invoke(ingest_app, ["graphs.jsonl"])
        assert loaded.exit_code == 0, loaded.output
        similar = _invoke(["n2g", "similar", "-m", MODEL, "-t", "0.9"])
        assert similar.exit_code == 0, similar.output
        linked = _invoke(["n2g", "feeds", "-m", MODEL, "--layers", "0-3"])  # for `circuit`
        assert linked.exit_code == 0, linked.output
        yield folder


def _invoke(argv: list[str]):
    command = ingest_app if argv[0] == "n2g-ingest" else app
    return runner.invoke(command, argv[1:])


def _written_units(folder: Path, before: set[Path]) -> str:
    """The text of the files an example wrote (a Parquet file read as rows)."""
    texts = []
    for path in sorted(set(folder.rglob("*")) - before):
        if path.suffix == ".parquet":
            import pandas as pd

            texts.append(pd.read_parquet(path).to_json())
        elif path.is_file() and path.suffix in {".json", ".jsonl", ".md", ".svg"}:
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


@pytest.mark.parametrize("argv", EXAMPLES, ids=[" ".join(a) for a in EXAMPLES])
def test_the_example_answers(workdir, argv) -> None:
    before = set(workdir.rglob("*"))
    result = _invoke(argv)
    assert result.exit_code == 0, result.output
    answer = result.output + _written_units(workdir, before)
    assert NAMES_A_UNIT.search(answer) or COUNTED.search(answer), answer
    line = " ".join(argv[1:])
    for example, unit in DOCUMENTED.items():
        if line.startswith(example):
            assert unit in answer, f"the docs say {example!r} answers {unit}"


def test_similar_finds_the_documented_groups(workdir) -> None:
    result = _invoke(["n2g", "groups", "-m", MODEL, "--json"])
    groups = [set(group["members"]) for group in json.loads(result.stdout)]
    documented = {f"{MODEL}/1/964", f"{MODEL}/2/1344", f"{MODEL}/3/1233"}
    assert documented in groups, groups


def test_the_readme_python_example_answers(workdir) -> None:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    names: dict[str, object] = {}
    assert os.environ["N2G_URI"]  # the example finds the database as a user's would
    exec(compile(code.group(1), str(README), "exec"), names)  # the README's own lines
    assert names["hits"] and names["like"] and names["families"] and names["graphs"]
