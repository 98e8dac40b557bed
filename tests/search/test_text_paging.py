"""`like --text` with a limit reads candidates a page at a time, strongest bound first,
and stops only when no later candidate can enter the top: here the strongest bounds all
belong to decoys that reach little on the text, so stopping at the first full page would
answer a decoy instead of the unit that fires most."""

from __future__ import annotations

from n2g.db.ingest import ingest_graphs
from n2g.models.tokenizers import ByteTokenizer
from n2g.search import NeuronSearch, text_match
from n2g.testing.handmade import make_graph


def test_paging_goes_on_until_no_later_candidate_can_rank(db, monkeypatch) -> None:
    decoys = [  # bound 1.0 ("x" after "q"), but only 0.2 on a text without "q"
        make_graph("paging", 0, i, [("x", ["q"], 1.0), ("x", [], 0.2)]) for i in range(6)
    ]
    tied = [make_graph("paging", 1, i, [("x", [], 0.5)]) for i in (9, 3)]  # 0.5 each
    ingest_graphs(db, [*decoys, *tied])
    monkeypatch.setattr(text_match, "FIRST_PAGE", 1)
    search = NeuronSearch(db)
    for limit in (1, 2, 3, None):
        match = search.fires_on_text("paging", "zx", ByteTokenizer(), threshold=0.1, limit=limit)
        keys = [n.key for n in match.neurons]
        whole = ["paging/1/3", "paging/1/9", *(f"paging/0/{i}" for i in range(6))]
        assert keys == whole[:limit], limit
