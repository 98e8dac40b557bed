"""`n2g like --text`: which units fire on a text, answered from the store.

    .venv/bin/python -m bench.like_text [--quick] [--neurons N] [--json PATH]
    .venv/bin/python -m bench.like_text --graphs n2g-run/graphs.jsonl   (the main job's graphs)

Loads N synthetic graphs (default 46,080 = SmolLM2-135M's MLP neurons, with evidence, as
bench.query makes them) or a real graph file into a fresh local ArcadeDB server, then
measures side by side on the same texts:

- n2g: `NeuronSearch.fires_on_text` at its default limit (what `n2g like --text` and the
  service answer): the candidates the text can fire, from the ACTIVATES_ON index at the
  threshold and the tokens one step back, strongest bound first a page at a time, their
  paths predicted together; p50/p95 per text, and the same for the whole (unlimited) answer;
- plain: what the CLI did before (every graph of the model fetched from the store and run
  on the text), timed on a few texts (it is the same work whatever the text).

Both answers are compared on the texts the plain way ran: they must be equal. A text is 12
tokens: one path of a random unit (so something fires) in a run of tokens drawn from the
stored graphs' own tokens, common ones more often, as in text.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench._common import BenchResult, bench_arg_parser, report, throwaway_database, timed
from bench.query import MODEL, _graphs, _latencies, _percentiles
from n2g.db.connection import Database
from n2g.db.ingest import ingest_graphs
from n2g.graph.file import iter_graph_file
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.graph.token_fold import vocabulary_classes
from n2g.search import NeuronSearch
from n2g.search.store import read_graphs
from n2g.search.text_match import FETCH_BATCH, any_folded, fires_on_text, predict_on_tokens

TEXT_TOKENS = 12


class IdTokenizer:
    """A text is its token ids joined by commas; the strings are those the graphs store."""

    def __init__(self, graphs: Sequence[NeuronGraph]) -> None:
        self.texts = {
            n.token_id: n.token
            for g in graphs
            for n in g.nodes
            if n.token_id is not None and n.token is not None
        }
        self.vocab_size = max(self.texts) + 1

    def encode(self, text: str) -> list[int]:
        return [int(part) for part in text.split(",")]

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self.texts.get(i, f"<unk {i}>") for i in ids]


def _texts(graphs: Sequence[NeuronGraph], n: int, seed: int = 2) -> list[str]:
    """n texts of TEXT_TOKENS ids: a unit's path (deepest context first, as read) in tokens
    drawn by how often the graphs hold them."""
    rng = random.Random(seed)
    counts = Counter(nd.token_id for g in graphs for nd in g.nodes if nd.token_id is not None)
    pool, weights = zip(*counts.items(), strict=True)
    texts = []
    for _ in range(n):
        graph = rng.choice([g for g in graphs if g.nodes])
        nodes, parent_of = graph.node_by_id(), {c: p for p, c in graph.edges}
        end = rng.choice([nd for nd in graph.nodes if nd.kind == NodeKind.END])
        path, at = [], parent_of.get(end.id)
        while at is not None:  # from the node above END back to the activating node
            node = nodes[at]
            path.append(node.token_id if node.token_id is not None else rng.choice(pool))
            at = parent_of.get(at)
        filler = rng.choices(pool, weights=weights, k=max(0, TEXT_TOKENS - len(path)))
        cut = rng.randint(0, len(filler))
        texts.append(",".join(map(str, [*filler[:cut], *path, *filler[cut:]])))
    return texts


def _plain(db: Database, keys: list[str], text: str, tokenizer: IdTokenizer) -> list[str]:
    """The approach before: every graph of the model read from the store and run; the
    firing units' keys, strongest first."""
    ids = tokenizer.encode(text)
    found = []
    for start in range(0, len(keys), FETCH_BATCH):
        graphs = list(read_graphs(db, keys[start : start + FETCH_BATCH]).values())
        classes = vocabulary_classes(tokenizer) if any_folded(graphs) else None
        found += predict_on_tokens(graphs, ids, 0.5, classes)
    found.sort(key=lambda n: (-n.max_activation, n.layer, n.index))
    return [n.key for n in found]


def main() -> None:
    parser = bench_arg_parser("n2g like --text: units firing on a text, from the store")
    parser.add_argument("--neurons", type=int, default=None, help="graphs to load (46,080)")
    parser.add_argument("--texts", type=int, default=None, help="texts timed (100)")
    parser.add_argument("--plain-texts", type=int, default=None, help="texts the plain way runs")
    parser.add_argument("--graphs", type=Path, default=None, help="real graphs (a graph file)")
    args = parser.parse_args()
    if args.graphs is not None:
        graphs = [g for _, g in iter_graph_file(args.graphs)][: args.neurons]
        model = graphs[0].model
    else:
        graphs, model = _graphs(args.neurons or (3_000 if args.quick else 46_080)), MODEL
    tokenizer = IdTokenizer(graphs)
    texts = _texts(graphs, args.texts or (20 if args.quick else 100))
    n_plain = args.plain_texts or (3 if args.quick else 2)
    keys = sorted(g.key for g in graphs if g.model == model)

    with throwaway_database("n2g-bench-like-text-") as db:
        load_s, _ = timed(lambda: ingest_graphs(db, graphs, batch_size=500, progress=True))
        print(f"loaded {len(graphs):,} graphs in {load_s:.0f} s", flush=True)

        search = NeuronSearch(db)

        def indexed(text: str) -> list[str]:  # the API's (and the CLI's) default limit
            return [n.key for n in search.fires_on_text(model, text, tokenizer).neurons]

        def whole(text: str) -> list[str]:
            match = fires_on_text(db, model, text, tokenizer, limit=None)
            return [n.key for n in match.neurons]

        indexed(texts[0])  # warm the driver and the server's caches
        fired = [len(whole(t)) for t in texts]
        indexed_ms = _latencies(indexed, texts)
        whole_ms = _latencies(whole, texts)
        plain_ms = []
        for text in texts[:n_plain]:  # timed once each; the answers compared after
            start = time.perf_counter()
            plain = _plain(db, keys, text, tokenizer)
            plain_ms.append((time.perf_counter() - start) * 1000)
            top = indexed(text)
            assert whole(text) == plain and top == plain[: len(top)], "answers differ"

    p50, p95 = _percentiles(indexed_ms)
    whole_p50, whole_p95 = _percentiles(whole_ms)
    plain_p50, _ = _percentiles(plain_ms)
    result = BenchResult(
        name=f"like --text p95, {len(graphs):,} " + ("real graphs" if args.graphs else "units"),
        unit="ms",
        figure=p95,
        plain_figure=plain_p50,
        higher_is_better=False,
        quick=args.quick,
        extra={
            "neurons": len(graphs),
            "graphs": str(args.graphs) if args.graphs else "synthetic",
            "texts": len(texts),
            "tokens_per_text": TEXT_TOKENS,
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "whole_answer_p50_ms": round(whole_p50, 1),
            "whole_answer_p95_ms": round(whole_p95, 1),
            "plain_note": f"every graph read and run; median of {n_plain} texts",
            "plain_ms": [round(ms, 1) for ms in plain_ms],
            "units_firing_median": sorted(fired)[len(fired) // 2],
            "answers_equal_on_plain_texts": True,
            "load_s": round(load_s, 1),
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
