"""Kill n2g-ingest in the middle (SIGKILL), run it again: the counts equal a clean load."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from n2g.db.connection import Database
from n2g.db.ingest import clear_database, database_counts, ingest_files
from n2g.resources import read_cypher
from n2g.testing.synthetic import synthetic_graphs, write_graph_file

pytestmark = pytest.mark.slow


def _ingest_process(path, config) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "n2g.cli.ingest",
        str(path),
        "--quiet",
        "--batch-size",
        "20",
        "--uri",
        config.uri,
        "--user",
        config.user,
    ]
    if config.database:
        args += ["--database", config.database]
    env = {**os.environ, "N2G_PASSWORD": config.password}
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _whole_neurons_only(db) -> None:
    """Every stored neuron has its whole trie: the trie nodes add up to sum(n_nodes)."""
    counts = database_counts(db)
    trie = sum(counts[k] for k in ("activating", "context", "ignore", "end_nodes"))
    n_nodes = db.read("MATCH (n:Neuron) RETURN sum(n.n_nodes) AS s")[0]["s"] or 0
    assert trie == n_nodes


def _settled_neuron_count(db) -> int:
    """The stored neuron count once the server has finished a batch the killed client
    had already sent (the server commits it after the client dies): equal twice running."""
    last = -1
    for _ in range(100):
        now = database_counts(db)["neurons"]
        if now == last:
            return now
        last = now
        time.sleep(0.5)
    raise AssertionError("the neuron count never settled after the kill")


def test_kill_and_resume_equals_a_clean_load(db, db_config, tmp_path):
    path = tmp_path / "graphs.jsonl"
    write_graph_file(path, synthetic_graphs(300, seed=3))
    process = _ingest_process(path, db_config)
    count_neurons = read_cypher("ingest", "counts")
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if db.read(count_neurons)[0]["neurons"] >= 40:
                break
            time.sleep(0.05)
    finally:
        process.kill()  # SIGKILL: no clean-up code runs
        process.wait()
    killed_at = _settled_neuron_count(db)
    assert 0 < killed_at < 300, "the ingest should have been killed half-way"
    _whole_neurons_only(db)

    # Resume in-process (the same ingest_files the CLI runs; spares a second CLI start-up).
    resumed = ingest_files(db, [path], progress=False, batch_size=20)
    assert resumed.neurons_unchanged == killed_at and not resumed.errors
    after_resume = database_counts(db)

    clear_database(db)
    ingest_files(db, [path], progress=False)
    assert after_resume == database_counts(db)


def test_concurrent_ingests_all_succeed_and_count_as_one_clean_load(db, db_config, tmp_path):
    """Two ingests of one file and one of another at once: they race to create the same
    models, tokens and neurons; the losers retry instead of printing a raw database
    error, and the result equals loading both files once."""
    import threading

    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_graph_file(first, synthetic_graphs(150, seed=1))
    write_graph_file(second, synthetic_graphs(150, seed=2, model="other"))
    errors: list[BaseException] = []

    def load(path) -> None:
        try:
            with Database.connect(db_config) as own:
                ingest_files(own, [path], progress=False, batch_size=25)
        except BaseException as exc:  # collected: the test thread reports them
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(p,)) for p in (first, second, first)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert errors == []
    racing = database_counts(db)
    clear_database(db)
    ingest_files(db, [first, second], progress=False)
    assert racing == database_counts(db) and racing["neurons"] == 300


def test_server_killed_mid_ingest_restarts_and_resumes_to_a_clean_load(tmp_path):
    """SIGKILL the database server (not the client) while an ingest writes: the ingest
    ends with one line; the restarted server holds only whole neurons, and the same
    ingest then resumes to the counts of a clean load."""
    import signal

    from n2g.db import server
    from n2g.db.schema import apply_schema

    settings = server.LocalServerSettings(
        home=tmp_path / "server",
        bolt_port=server.free_port(),
        http_port=server.free_port(),
        heap="1g",
    )
    status = server.start(settings)
    config = server.server_config(settings)
    path = tmp_path / "graphs.jsonl"
    write_graph_file(path, synthetic_graphs(300, seed=5))
    try:
        with Database.connect(config) as db:
            apply_schema(db)
        process = _ingest_process(path, config)
        with Database.connect(config) as db:
            deadline = time.monotonic() + 120
            while database_counts(db)["neurons"] < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert status.pid is not None
        os.kill(status.pid, signal.SIGKILL)
        _, err = process.communicate(timeout=60)
        lines = err.decode().strip().splitlines()
        assert process.returncode == 2 and lines[-1].startswith("error: no database answers")
        assert "Traceback" not in err.decode()

        status = server.start(settings)
        with Database.connect(config) as db:
            _whole_neurons_only(db)
            resumed = ingest_files(db, [path], progress=False)
            assert not resumed.errors and resumed.neurons_unchanged > 0
            after_resume = database_counts(db)
            clear_database(db)
            ingest_files(db, [path], progress=False)
            assert after_resume == database_counts(db)
    finally:
        if status.pid is not None:
            server.stop_process(status.pid)
