"""Fuzz-style, end to end: odd tokens through `n2g-ingest`, `n2g search`, `n2g show` and
`n2g like`, on the real test server, through the command line (CliRunner), nothing mocked.

A seeded generator (explicit lists plus `random.Random(SEED)` mixes) yields 112 distinct
tokens of 11 classes: rich markup, quotes and backslashes, control characters, Unicode
(combining marks, RTL, ZWJ emoji, CJK, astral, invisible), Cypher and injection strings,
XML/HTML entities, option-like tokens, whitespace, the empty token, and 5,000-character
tokens. They are spread over several hand-made neuron graphs, as activating and as context
tokens, so each token has its own number of neurons; every answer is compared with what
the original graphs imply (computed here in Python), exactly:

- ingest writes exactly the nodes, relationships and tokens the graphs imply; a reload skips all;
- `search TOKEN`, `search --context TOKEN` and both together return exactly the expected
  neurons, values and order (--json), and the table does not crash;
- `show --json` prints the graph's line as inert text that reads back exactly, the table
  shows markup tokens as text, and `show --svg` writes valid XML drawing every token as
  its visible text;
- `like KEY` equals a brute-force overlap score with exactly the shared tokens, and
  `like --text TOKEN --tokenizer byte` equals the in-memory prediction of the original graphs;
- no command exits with a traceback, and no read changes anything in the database.

Known failures these tests show (Graphviz 2.43 reads "&name;", "&#N;" and "&#xN;" in a DOT
label as HTML entities, and n2g/graph/render.py does not escape "&"): `show --svg` crashes
with a UnicodeDecodeError on the token "&#xD800;", writes an SVG that is not XML for "&#1;"
and "&#x1F;", and draws "&amp;", "&lt;b&gt;" and "&nbsp;" as "&", "<b>" and a no-break space.
"""

from __future__ import annotations

import json
import random
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from n2g.cli import app
from n2g.cli.ingest import app as ingest_app
from n2g.db.connection import Database
from n2g.db.ingest import clear_database, database_counts
from n2g.graph.file import dump_graph_line, parse_graph_line
from n2g.graph.model import NeuronGraph, NodeKind
from n2g.models.tokenizers import ByteTokenizer
from n2g.search.text_match import predict_on_tokens
from n2g.testing.handmade import Path as TriePath
from n2g.testing.handmade import make_graph

SEED = 20_260_601
MODEL = "fuzz"
GROUP = 8  # tokens per pair of "group" neurons
LONG = 5_000
runner = CliRunner()

# -- the tokens -------------------------------------------------------------------------------

EXPLICIT: dict[str, list[str]] = {
    "markup": [
        "[/]",
        "[bold]x[/bold]",
        "[bold red]x[/bold red]",
        "[link=https://example.com/?a=1&b=[2]]click[/link]",
        ":smile:",
        "[red]",
        "\\[not markup]",
        "[[/]]",
        "[",
    ],
    "quotes": ["'", '"', "\\", '\\"', "\\'", "''", '"""', "it's", "\\\\", "\\n", "\\u0000"],
    "control": [
        "\x00",
        "\x01",
        "\x1b[31m",
        "\r",
        "\t",
        "\n",
        "\x7f",
        "\r\n",
        "a\x00b",
        "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",  # an OSC 8 terminal hyperlink
        "\x85",  # C1 next line
        "\u2028",  # line separator
    ],
    "unicode": [
        "e\u0301",  # combining acute
        "\u00e9",  # precomposed: a different token from the one above
        "\u05e9\u05dc\u05d5\u05dd",  # RTL Hebrew
        "\u202eabc",  # right-to-left override
        "\U0001f469\u200d\U0001f4bb",  # emoji with ZWJ
        "\u65e5\u672c\u8a9e",  # CJK
        "\U0001d54f",  # astral (mathematical double-struck X)
        "\U00020000",  # astral CJK extension B
        "\u200b",  # zero-width space
        "\u00a0",  # non-breaking space
        "\u0301",  # a lone combining character
        "\ufeff",  # byte order mark
        "\u00df",
        "\u0130",
        "\ufb01",
        "\uff21",
        "\ufffd",
    ],
    "cypher": [
        "MATCH (n) DETACH DELETE n",
        "'}) RETURN 1 //",
        '"}) MATCH (m) DETACH DELETE m //',
        "$rows",
        "$token",
        "{text: $x}",
        "`",
        "` OR 1=1 //",
        "/* */",
        "//",
        "CALL db.labels()",
        "MATCH",
        "match",
        "}",
        "$",
        ":",
        "-->",
        "<--",
        "-[:R]->",
        "()-[]-()",
        "<!--",
        "#",
    ],
    "xml": [
        "&amp;",
        "&lt;b&gt;",
        "<b>x</b>",
        "]]>",
        "<script>alert(1)</script>",
        "&#1;",
        "&#x1F;",
        "&#xD800;",
        "&nbsp;",
        "&",
    ],
    "option": ["-", "--", "-n", "--json", "--help"],
    "whitespace": [" ", "  ", "\u3000", " x", "x ", " x ", "x", "\t \n"],
    "empty": [""],
}

# Graphviz reads "&...;" in a label as an HTML entity (see test_show_svg_*): the XML-like
# class stays out of the mixes and the random neurons, so its failures point at it alone.
ISOLATED = ("long", "xml")
FRAGMENTS = [t for c, ts in EXPLICIT.items() if c not in ISOLATED for t in ts if t] + ["ab", "Z"]
ALPHABET = [ch for frag in FRAGMENTS for ch in frag] + list("abcdefghij ")


def fuzz_tokens(seed: int = SEED) -> list[tuple[str, str]]:
    """(class, token) pairs, distinct tokens, the same for the same seed."""
    rng = random.Random(seed)
    out = [(cls, tok) for cls, tokens in EXPLICIT.items() for tok in tokens]
    for _ in range(10):  # mixes of the other classes, with random spaces around them
        pieces = rng.sample(FRAGMENTS, rng.randint(2, 4))
        text = rng.choice(["", " ", "\t", "\n"]).join(pieces)
        out.append(("mixed", " " * rng.randint(0, 2) + text + " " * rng.randint(0, 2)))
    for _ in range(3):
        out.append(("whitespace", "".join(rng.choices([" ", "\t", "\u3000", "\u00a0"], k=4))))
    out.append(("long", "a" * LONG))
    out.append(("long", " " + "b" * (LONG - 2) + " "))
    out.append(("long", "".join(rng.choices(ALPHABET, k=LONG))))
    out.append(("long", "\u65e5" * LONG))
    seen: set[str] = set()
    distinct = []
    for cls, tok in out:
        if tok not in seen:
            seen.add(tok)
            distinct.append((cls, tok))
    return distinct


TOKENS = fuzz_tokens()
TEXTS = [tok for _, tok in TOKENS]
IDS = [f"{i:03d}-{cls}-{ascii(tok)[1:-1][:20]}" for i, (cls, tok) in enumerate(TOKENS)]
SINGLE_BYTE = [tok for tok in TEXTS if len(tok.encode("utf-8")) == 1]
# Tables are slower than JSON: every markup token and every fourth other one gets one.
TABLE_TOKENS = {tok for i, (cls, tok) in enumerate(TOKENS) if cls == "markup" or i % 4 == 0}


# -- the graphs ---------------------------------------------------------------------------------


def fuzz_graphs() -> list[NeuronGraph]:
    """Group neurons (each token activating once and in context once, twice over: layer 0
    and an identical-token-set copy in layer 1), four random 'sparse' neurons in layer 2,
    and two single-byte neurons in layer 3 (fire on byte-tokenized text)."""
    rng = random.Random(SEED + 1)
    mixed = [t for cls, t in TOKENS if cls not in ISOLATED]
    rng.shuffle(mixed)
    groups = [mixed[i : i + GROUP] for i in range(0, len(mixed), GROUP)]
    if len(groups[-1]) < 2:
        groups[-2].extend(groups.pop())
    for cls in ISOLATED:  # long tokens: keeps the other tables narrow
        groups.append([t for c, t in TOKENS if c == cls])

    def act() -> float:
        return round(rng.uniform(0.05, 1.0), 4)

    graphs: list[NeuronGraph] = []
    for g, toks in enumerate(groups):
        k = len(toks)
        first: list[TriePath] = [(toks[i], [toks[(i + 1) % k]], act()) for i in range(k)]
        second: list[TriePath] = [(toks[i], [None, toks[(i + 3) % k]], act()) for i in range(k)]
        graphs.append(make_graph(MODEL, 0, g, first))
        graphs.append(make_graph(MODEL, 1, g, second))
    for j in range(4):
        chosen = [t for t in mixed if rng.random() < 0.3]
        paths: list[TriePath] = []
        for tok in chosen:
            context = [None if rng.random() < 0.2 else rng.choice(mixed) for _ in range(2)]
            paths.append((tok, context[: rng.randint(0, 2)], act()))
        graphs.append(make_graph(MODEL, 2, j, paths))
    graphs.append(make_graph(MODEL, 3, 0, [(t, [], 0.6) for t in SINGLE_BYTE]))
    pairs = list(zip(SINGLE_BYTE, SINGLE_BYTE[1:], strict=False))
    graphs.append(make_graph(MODEL, 3, 1, [(t, [c], 0.95) for c, t in pairs]))
    for graph in graphs:  # importance varies, so context search has an order to keep
        for node in graph.nodes:
            if node.kind == NodeKind.CONTEXT:
                node.importance = round(rng.uniform(0.3, 1.0), 4)
    return graphs


GRAPHS = fuzz_graphs()
GRAPH_IDS = [g.key for g in GRAPHS]


def expected_counts(graphs: Sequence[NeuronGraph]) -> dict[str, int]:
    """What `database_counts` must read after loading `graphs` into an empty database."""
    kinds = [n.kind for g in graphs for n in g.nodes]
    tokens = {t for g in graphs for t in [*g.activating_tokens(), *g.context_tokens()]}
    return {
        "models": len({g.model for g in graphs}),
        "neurons": len(graphs),
        "activating": kinds.count(NodeKind.ACTIVATING),
        "context": kinds.count(NodeKind.CONTEXT),
        "ignore": kinds.count(NodeKind.IGNORE),
        "end_nodes": kinds.count(NodeKind.END),
        "tokens": len(tokens),
        "has_neuron": len(graphs),
        "trie_root": kinds.count(NodeKind.ACTIVATING),
        "next": sum(len(g.edges) for g in graphs),
        "activates_on": sum(len(g.activating_tokens()) for g in graphs),
        "has_context": sum(len(g.context_tokens()) for g in graphs),
        "examples": sum(len(g.evidence) for g in graphs),
        "has_example": sum(len(g.evidence) for g in graphs),
    }


# -- running commands ----------------------------------------------------------------------------


def _invoke(target, args: Sequence[str]) -> Result:
    """Run a command; it may fail with a message, never with a traceback."""
    result = runner.invoke(target, list(args))
    exc = result.exception
    shown = "".join(traceback.format_exception(exc)) if exc is not None else ""
    assert exc is None or isinstance(exc, SystemExit), f"{args[:1]} raised:\n{shown}"
    assert "Traceback" not in result.output
    return result


def _ok(*args: str) -> str:
    result = _invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _json(command: str, *args: str):
    """`n2g COMMAND --json ARGS...` parsed (--json first: ARGS may end with `-- TOKEN`)."""
    return json.loads(_ok(command, "--json", *args))


class Loaded:
    def __init__(self, db: Database, args: list[str], counts: dict[str, int]) -> None:
        self.db, self.args, self.counts = db, args, counts


@pytest.fixture(scope="module")
def loaded(db_config, tmp_path_factory) -> Iterator[Loaded]:
    """The fuzz graphs, loaded once with `n2g-ingest` into the emptied test database."""
    args = ["--uri", db_config.uri, "--user", db_config.user, "--password", db_config.password]
    args += ["--database", db_config.database] if db_config.database else []
    path = tmp_path_factory.mktemp("fuzz") / "graphs.jsonl"
    path.write_text("".join(dump_graph_line(g) + "\n" for g in GRAPHS), encoding="utf-8")
    db = Database.connect(db_config)
    try:
        clear_database(db)
        result = _invoke(ingest_app, [str(path), *args, "--quiet"])
        assert result.exit_code == 0, result.output
        assert f"wrote {len(GRAPHS)} neuron(s)" in result.output
        state = Loaded(db, args, database_counts(db))
        yield state
        _assert_unchanged(state)  # also when the last test below was not selected
    finally:
        db.close()


def _assert_unchanged(state: Loaded) -> None:
    assert database_counts(state.db) == state.counts, "a read changed the database"


# -- the tests ------------------------------------------------------------------------------------


def test_the_tokens_cover_every_class_deterministically() -> None:
    assert fuzz_tokens() == TOKENS and fuzz_tokens(SEED + 1) != TOKENS
    assert len(TEXTS) == len(set(TEXTS)) >= 50
    classes = {cls for cls, _ in TOKENS}
    assert classes >= {*EXPLICIT, "mixed", "long"}
    assert max(map(len, TEXTS)) == LONG and "" in TEXTS
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for tok in TEXTS for ch in tok)  # no surrogates
    for tok in TEXTS:  # every token is somewhere both activating and in context
        assert any(tok in g.activating_tokens() for g in GRAPHS)
        assert any(tok in g.context_tokens() for g in GRAPHS)


def test_ingest_writes_what_the_graphs_imply_and_reloads_as_unchanged(loaded, tmp_path) -> None:
    assert loaded.counts == expected_counts(GRAPHS)
    assert loaded.counts["tokens"] == len(TEXTS)
    path = tmp_path / "again.jsonl"
    path.write_text("".join(dump_graph_line(g) + "\n" for g in GRAPHS), encoding="utf-8")
    again = _invoke(app, ["ingest", str(path), *loaded.args, "--quiet"])
    assert again.exit_code == 0, again.output
    assert f"{len(GRAPHS)} unchanged" in again.output


def _activating_rows(token: str) -> list[tuple[str, float]]:
    rows = [(g.key, g.activating_tokens()[token]) for g in GRAPHS if token in g.activating_tokens()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def _context_rows(token: str) -> list[tuple[str, float]]:
    rows = [(g.key, g.context_tokens()[token]) for g in GRAPHS if token in g.context_tokens()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


@pytest.mark.parametrize("token", TEXTS, ids=IDS)
def test_search_activating_token(loaded, token) -> None:
    flags = [*loaded.args, "-n", "100", "--level", "0"]  # every token, whatever it predicts
    rows = _json("search", *flags, "--", token)
    assert [(r["key"], r["activation"]) for r in rows] == _activating_rows(token)
    if token in TABLE_TOKENS:
        table = _ok("search", *flags, "--", token)
        assert all(key in table for key, _ in _activating_rows(token))


@pytest.mark.parametrize("token", TEXTS, ids=IDS)
def test_search_context_token(loaded, token) -> None:
    flags = [*loaded.args, "-n", "100", "--level", "0"]
    rows = _json("search", "--context", token, *flags)
    assert [(r["key"], r["importance"]) for r in rows] == _context_rows(token)
    if token in TABLE_TOKENS:
        table = _ok("search", "--context", token, *flags)
        assert all(key in table for key, _ in _context_rows(token))


def _with_context(token: str, context: str) -> list[tuple[str, float, float, int]]:
    """(key, activation, importance, distance) of neurons with `context` below `token`."""
    out = []
    for g in GRAPHS:
        by_id, children = g.node_by_id(), g.children()
        found: list[tuple[float, float, int]] = []
        for root in (n for n in g.nodes if n.depth == 0 and n.token == token):
            stack = list(children.get(root.id, []))
            while stack:
                node = by_id[stack.pop()]
                stack.extend(children.get(node.id, []))
                if node.kind == NodeKind.CONTEXT and node.token == context:
                    found.append((root.activation or 0.0, node.importance or 0.0, node.depth))
        if found:
            out.append((g.key, *(f(x[i] for x in found) for i, f in enumerate([max, max, min]))))
    return sorted(out, key=lambda r: (-r[1], -r[2], r[0]))


@pytest.mark.parametrize("token", TEXTS, ids=IDS)
def test_search_token_with_its_context(loaded, token) -> None:
    group = next(g for g in GRAPHS if g.layer == 0 and token in g.activating_tokens())
    nodes = group.node_by_id()
    root = next(n for n in group.nodes if n.depth == 0 and n.token == token)
    context = next(nodes[c].token for p, c in group.edges if p == root.id)
    assert context is not None
    expected = _with_context(token, context)
    assert group.key in [row[0] for row in expected]
    args = [*loaded.args, "-n", "100", "--level", "0"]
    rows = _json("search", "--context", context, *args, "--", token)
    got = [(r["key"], r["activation"], r["importance"], r["distance"]) for r in rows]
    assert got == expected


@pytest.mark.parametrize("index", range(len(GRAPHS)), ids=GRAPH_IDS)
def test_show_json_and_table(loaded, index, tmp_path) -> None:
    graph = GRAPHS[index]
    line = dump_graph_line(graph)
    out = _ok("show", graph.key, *loaded.args, "--json")
    # One line of inert text (controls, U+2028, U+0085, bidi marks as JSON escapes) that
    # reads back as exactly the graph's line.
    assert out.endswith("\n") and out[:-1].isprintable()
    assert json.loads(out) == json.loads(line)
    assert dump_graph_line(parse_graph_line(out)) == line
    path = tmp_path / "graphs.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    assert _ok("show", graph.key, "--graphs", str(path), "--json") == out
    table = _ok("show", graph.key, *loaded.args)
    assert graph.key in table
    for cls, tok in TOKENS:
        if cls == "markup" and tok in graph.activating_tokens():
            assert repr(tok) in table


_SVG: dict[str, bytes] = {}  # key -> the file `show --svg` wrote (drawn once per graph)


def _svg(loaded: Loaded, graph: NeuronGraph, tmp_path: Path) -> ET.Element:
    if graph.key not in _SVG:
        out = tmp_path / "n.svg"
        result = _invoke(app, ["show", graph.key, "--svg", str(out), *loaded.args])
        assert result.exit_code == 0, result.output
        assert out.is_file()
        _SVG[graph.key] = out.read_bytes()
    try:
        return ET.fromstring(_SVG[graph.key])
    except ET.ParseError as exc:
        line = _SVG[graph.key].splitlines()[exc.position[0] - 1]
        raise AssertionError(f"{graph.key}: the SVG is not XML ({exc}): {line!r}") from None


@pytest.mark.parametrize("index", range(len(GRAPHS)), ids=GRAPH_IDS)
def test_show_svg_is_valid_xml(loaded, index, tmp_path) -> None:
    root = _svg(loaded, GRAPHS[index], tmp_path)
    assert root.tag.endswith("svg")


def _drawn(token: str) -> str:
    """How the renderer means to draw a token (n2g/graph/render.py's docstring): space,
    newline, tab and DEL as symbols, other C0 controls as Control Pictures, anything else
    unprintable as its Python escape, the empty token as the empty-set sign."""
    symbols = {" ": "\u2423", "\n": "\u23ce", "\t": "\u21e5", "\x7f": "\u2421"}
    out = []
    for ch in token:
        if ch in symbols:
            out.append(symbols[ch])
        elif ch < " ":
            out.append(chr(0x2400 + ord(ch)))
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out) or "\u2205"


@pytest.mark.parametrize("index", range(len(GRAPHS)), ids=GRAPH_IDS)
def test_show_svg_draws_every_token_as_its_text(loaded, index, tmp_path) -> None:
    graph = GRAPHS[index]
    root = _svg(loaded, graph, tmp_path)
    texts = {"".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")}
    tokens = {n.token for n in graph.nodes if n.token is not None}
    missing = sorted(repr(t) for t in tokens if _drawn(t) not in texts)
    assert not missing, f"tokens not drawn as their text: {missing}"


@pytest.mark.parametrize("token", TEXTS, ids=IDS)
def test_show_svg_of_each_token_alone(token, tmp_path) -> None:
    """Each token in a graph of its own (read from a graph file): valid XML, drawn as text."""
    graph = make_graph(MODEL, 9, 0, [(token, [token], 0.5)])
    path, out = tmp_path / "one.jsonl", tmp_path / "one.svg"
    path.write_text(dump_graph_line(graph) + "\n", encoding="utf-8")
    result = _invoke(app, ["show", graph.key, "--graphs", str(path), "--svg", str(out)])
    assert result.exit_code == 0, result.output
    try:
        root = ET.fromstring(out.read_bytes())
    except ET.ParseError as exc:
        raise AssertionError(f"the SVG is not XML ({exc}): {out.read_bytes()!r}") from None
    texts = {"".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")}
    assert _drawn(token) in texts


def _like_oracle(key: str, min_score: float) -> list[dict]:
    """Brute force of `like`: overlap = |A∩B| / max(|A|,|B|) per token set (two empty sets
    count 1.0), score = the smaller; neurons sharing an activating token; ≥ min_score."""
    x = next(g for g in GRAPHS if g.key == key)
    xa, xc = set(x.activating_tokens()), set(x.context_tokens())
    rows = []
    for y in GRAPHS:
        ya, yc = set(y.activating_tokens()), set(y.context_tokens())
        if y.key == key or not xa & ya:
            continue
        a = len(xa & ya) / max(len(xa), len(ya))
        c = 1.0 if not xc and not yc else len(xc & yc) / max(len(xc), len(yc))
        if min(a, c) >= min_score:
            rows.append({"key": y.key, "score": min(a, c), "activating_overlap": a,
                         "context_overlap": c, "shared_activating": sorted(xa & ya),
                         "shared_context": sorted(xc & yc)})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["score"], -r["activating_overlap"], r["key"]))


def _normal(rows: list[dict]) -> list[tuple]:
    """Like rows compared: floats to 9 places, shared tokens as sorted lists (exact text)."""
    return [(r["key"], *(round(r[k], 9) for k in ("score", "activating_overlap",
             "context_overlap")), sorted(r["shared_activating"]), sorted(r["shared_context"]))
            for r in rows]  # fmt: skip


@pytest.mark.parametrize("index", range(len(GRAPHS)), ids=GRAPH_IDS)
def test_like_neuron(loaded, index) -> None:
    graph = GRAPHS[index]
    for min_score in ("0.5", "0"):
        args = ["--min-score", min_score, "-n", "1000", "--level", "0", *loaded.args]
        rows = _json("like", graph.key, *args)
        assert _normal(rows) == _normal(_like_oracle(graph.key, float(min_score)))
    if graph.layer == 0:  # its copy in layer 1 has the very same token sets
        twin = next(r for r in rows if r["key"] == f"{MODEL}/1/{graph.neuron}")
        assert twin["score"] == 1.0
        assert sorted(twin["shared_activating"]) == sorted(graph.activating_tokens())
        assert sorted(twin["shared_context"]) == sorted(graph.context_tokens())
    table = _ok("like", graph.key, "--level", "0", *loaded.args)
    shared = {t for r in _like_oracle(graph.key, 0.5) for t in r["shared_activating"]}
    for cls, tok in TOKENS:
        if cls == "markup" and tok in shared:
            assert repr(tok) in table


# `like --text` is slower: every token the byte tokenizer produces, and a fourth of the rest.
LIKE_TEXT = [
    (i, t) for i, t in zip(IDS, TEXTS, strict=True) if t in SINGLE_BYTE or t in TABLE_TOKENS
]


@pytest.mark.parametrize(
    "token", [t for _, t in LIKE_TEXT if t], ids=[i for i, t in LIKE_TEXT if t]
)
def test_like_text(loaded, token) -> None:
    flags = ["-m", MODEL, "--tokenizer", "byte", "-n", "1000", *loaded.args]
    match = _json("like", "--text", token, *flags)
    tokenizer = ByteTokenizer()
    ids = tokenizer.encode(token)
    assert match["tokens"] == tokenizer.token_strings(ids) and match["token_ids"] == ids
    expected = predict_on_tokens(GRAPHS, ids, 0.5)
    assert match["neurons"] == [n.model_dump(mode="json") for n in expected]
    if token in SINGLE_BYTE:  # the byte tokenizer produces exactly this token
        assert match["tokens"] == [token]
        assert f"{MODEL}/3/0" in [n["key"] for n in match["neurons"]]
    if token in EXPLICIT["markup"]:  # single-byte tables: the test below
        table = _ok("like", "--text", token, *flags)
        assert all(n.key in table for n in expected)


@pytest.mark.parametrize("pair", range(len(SINGLE_BYTE) - 1))
def test_like_text_single_byte_token_after_its_context(loaded, pair) -> None:
    context, token = SINGLE_BYTE[pair], SINGLE_BYTE[pair + 1]
    flags = ["-m", MODEL, "--tokenizer", "byte", *loaded.args]
    match = _json("like", "--text", context + token, *flags)
    assert match["tokens"] == [context, token]
    fired = {n["key"]: n for n in match["neurons"]}
    assert fired[f"{MODEL}/3/1"]["firing_tokens"] == [1]
    assert fired[f"{MODEL}/3/1"]["max_activation"] == pytest.approx(0.95)
    if pair % 2 == 0:
        table = _ok("like", "--text", context + token, *flags)
        assert repr(token) in table


def test_reads_changed_nothing(loaded) -> None:
    """Last in this file: all the searches, shows and likes above changed nothing."""
    _assert_unchanged(loaded)
    assert loaded.counts == expected_counts(GRAPHS)
