"""The one mapping between a neuron graph and the database, both directions side by side.

Write: NeuronGraph -> the parameter rows ingest/create_neurons.cypher consumes. Read: the
records of queries/neuron_graph.cypher -> NeuronGraph. Both directions iterate the same
tables (node kind <-> label, trie-node properties, neuron properties with their path into
the model), so no field can be written and then forgotten on read, or read under another
name: a graph read back equals the graph loaded (tests/db/test_roundtrip.py).

Every value that reaches the database is checked here to be a type Neo4j stores as a
property (null, bool, 64-bit int, float, string, or a flat list of one of those): ArcadeDB
accepts more (nested lists, maps), and data loaded locally must load into Neo4j too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from n2g.db.model_parts import put_path, restore_empty_parts
from n2g.db.properties import (
    PropertyTypeError as PropertyTypeError,  # re-exported: the ingest catches it
)
from n2g.db.properties import check_property as check_property  # re-exported
from n2g.db.properties import checked_properties, packed_size
from n2g.db.score_properties import (
    BASELINES_PROPERTY,
    EVALUATION_PROPERTIES,
    PropertyPaths,
)
from n2g.errors import N2GError
from n2g.graph.evaluation import Evaluation
from n2g.graph.file import GraphFileError, dump_graph_line, parse_graph_line, upgrade_graph_data
from n2g.graph.label import unit_label
from n2g.graph.levels import FIRING_LEVEL, context_levels
from n2g.graph.model import EvidenceExample, NeuronGraph, NodeKind, TrieNode
from n2g.graph.path_table import dump_paths

# Bumped whenever what a graph stores changes: the content hash covers it, so the next
# n2g-ingest replaces neurons stored by an older mapping instead of skipping them.
# 3: evidence (:Example) nodes; 4: the graph's file line, `graph`; 5: `paths`, `label`;
# 6: baselines keyed by scoring method (graph format 3), `baselines`, and HAS_CONTEXT
# `activation` (the level its paths predict, n2g.graph.levels); 7: `unit_set` (graph format
# 4; was `sae`); 8: delphi's detection and fuzzing (`detection_NAME`, `fuzzing_NAME`, ...);
# 9: the unit's output tokens (graph format 6), `promotes`, `suppresses`, ...
MAPPING_VERSION = 9

# A trie node's kind is its label (labels are literal in the Cypher, never parameters).
LABEL_OF_KIND: dict[NodeKind, str] = {
    NodeKind.ACTIVATING: "Activating",
    NodeKind.CONTEXT: "Context",
    NodeKind.IGNORE: "Ignore",
    NodeKind.END: "End",
}
KIND_OF_LABEL: dict[str, NodeKind] = {label: kind for kind, label in LABEL_OF_KIND.items()}

# The TrieNode fields stored as properties of the same name (its kind is its label). On
# write `key` and `neuron` are added (identity, and the index that finds a neuron's trie).
TRIE_NODE_FIELDS: tuple[str, ...] = tuple(name for name in TrieNode.model_fields if name != "kind")

# The EvidenceExample fields, stored as properties of the same name on an (:Example) node
# (with `key` and `neuron` added on write, as on trie nodes).
EXAMPLE_FIELDS: tuple[str, ...] = tuple(EvidenceExample.model_fields)

OUTPUT_TOKEN_PROPERTIES: PropertyPaths = (
    ("promotes", ("output_tokens", "promoted", "tokens")),
    ("promote_ids", ("output_tokens", "promoted", "token_ids")),
    ("promote_logits", ("output_tokens", "promoted", "logits")),
    ("suppresses", ("output_tokens", "suppressed", "tokens")),
    ("suppress_ids", ("output_tokens", "suppressed", "token_ids")),
    ("suppress_logits", ("output_tokens", "suppressed", "logits")),
)
NEURON_PROPERTIES: PropertyPaths = (
    ("model", ("model",)),
    ("layer", ("layer",)),
    ("index", ("neuron",)),
    ("unit_set", ("unit_set",)),
    ("hook_name", ("hook_name",)),
    ("a_max", ("a_max",)),
    ("n_examples", ("n_examples",)),
    ("format_version", ("format_version",)),
    # levels below firing (n2g.builder.grades): two flat lists, as a property holds
    ("grade_token_ids", ("token_grades", "token_ids")),
    ("grade_levels", ("token_grades", "levels")),
    # what the unit's write direction promotes and suppresses most (n2g.models.logit_lens),
    # strongest first: texts (searched, queries/output_token_units.cypher), ids, logits
    *OUTPUT_TOKEN_PROPERTIES,
    *((name, ("evaluation", *path)) for name, path in EVALUATION_PROPERTIES),
)
# (:Neuron) properties an older mapping wrote, with their place in the graph file of that
# time: read back into it, they take the graph file's one upgrade step (`upgrade_graph_data`),
# so a store loaded before a rename still reads until the next n2g-ingest rewrites it.
LEGACY_NEURON_PROPERTIES: PropertyPaths = (("sae", ("sae",)),)
SETTINGS_PROPERTY = "settings"  # the build settings, as one JSON string
# The graph's whole file line (`dump_graph_line`), kept on its (:Neuron): reading a unit
# whole (a service page, `n2g show`, `like --text`) is then one property of one indexed
# node, not thousands of trie and evidence values to decode and reassemble. The trie and
# (:Example) nodes stay the searchable form; `graphs_from_records` rebuilds a graph from
# them, and the tests hold the two equal.
GRAPH_LINE_PROPERTY = "graph"
# The graph's paths (n2g.graph.path_table), for "which units fire on this text": the
# candidates' paths come back with the candidate lookup itself and predict together.
PATHS_PROPERTY = "paths"
# The unit's one-line label (n2g.graph.label), shown and searched as text.
LABEL_PROPERTY = "label"
# Derived on write, not read back: key, n_nodes, graph_hash, n_activating_tokens,
# n_context_tokens and their firing-level counts n_firing_activating_tokens,
# n_firing_context_tokens (set sizes for overlap scores, queries/like_neuron.cypher), fold_tokens
# (token searches match folded forms only in folded graphs, queries/token_*.cypher).


def trie_node_properties(neuron_key: str, node: TrieNode) -> dict[str, Any]:
    """A trie node's stored properties (None values left out, types checked)."""
    values = {"key": trie_key(neuron_key, node.id), "neuron": neuron_key}
    values.update((name, getattr(node, name)) for name in TRIE_NODE_FIELDS)
    return checked_properties(f"neuron {neuron_key} node {node.id}", values)


def example_key(neuron: str, rank: int) -> str:
    """Stable unique key of an evidence example: `<neuron key>@<rank>`."""
    return f"{neuron}@{rank}"


def example_properties(neuron_key: str, example: EvidenceExample) -> dict[str, Any]:
    """An evidence example's stored properties (types checked: flat lists of one type)."""
    values: dict[str, Any] = {"key": example_key(neuron_key, example.rank), "neuron": neuron_key}
    values.update((name, getattr(example, name)) for name in EXAMPLE_FIELDS)
    values["activations"] = [float(v) for v in example.activations]
    values["predicted"] = [float(v) for v in example.predicted]
    return checked_properties(f"neuron {neuron_key} example {example.rank}", values)


def example_data(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A stored (:Example) as EvidenceExample fields."""
    return {name: properties[name] for name in EXAMPLE_FIELDS if name in properties}


def graph_hash(graph: NeuronGraph) -> str:
    """Content hash of a graph (and of the mapping that stores it): unchanged graphs are
    skipped on reload, changed ones replaced."""
    return line_hash(dump_graph_line(graph))


def line_hash(line: str) -> str:
    """`graph_hash` of the graph whose file line (`dump_graph_line`) is `line`."""
    text = f"{MAPPING_VERSION}\n{line}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _walk(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None  # an absent part (no evaluation, no baseline): nothing to store
        data = data.get(part)
    return data


TokenEdges = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def token_edges(graph: NeuronGraph) -> TokenEdges:
    """The rows of a unit's ACTIVATES_ON and of its HAS_CONTEXT relationships, each with
    its token's level (`activation`, n2g.graph.levels)."""
    steps = first_steps(graph)
    activates_on = [
        {"text": t, "activation": a, "alone": steps[t][0], "firsts": sorted(steps[t][1])}
        for t, a in graph.activating_tokens().items()
    ]
    levels = context_levels(graph)
    has_context = [
        {"text": t, "importance": i, "activation": levels[t]}
        for t, i in graph.context_tokens().items()
    ]
    return activates_on, has_context


def neuron_properties(graph: NeuronGraph, edges: TokenEdges | None = None) -> dict[str, Any]:
    """The (:Neuron) properties: identity, normaliser, evaluation scores, provenance
    (`edges`: the graph's `token_edges`, when the caller has them already)."""
    data = graph.model_dump(exclude={"nodes", "edges", "settings", "evidence"})
    values: dict[str, Any] = {"key": graph.key}
    values.update((name, _walk(data, path)) for name, path in NEURON_PROPERTIES)
    activates_on, has_context = edges or token_edges(graph)
    values.update(
        n_nodes=len(graph.nodes),
        n_activating_tokens=len(activates_on),
        n_context_tokens=len(has_context),
        # the same at the firing level: like_neuron.cypher's default needs no counting
        n_firing_activating_tokens=sum(e["activation"] >= FIRING_LEVEL for e in activates_on),
        n_firing_context_tokens=sum(e["activation"] >= FIRING_LEVEL for e in has_context),
        fold_tokens=graph.settings.fold_tokens,
    )
    line = dump_graph_line(graph)
    values.update(graph_hash=line_hash(line), **{GRAPH_LINE_PROPERTY: line})
    values[PATHS_PROPERTY] = dump_paths(graph)
    values[LABEL_PROPERTY] = unit_label(graph)
    values[SETTINGS_PROPERTY] = graph.settings.model_dump_json()
    if graph.evaluation is not None and graph.evaluation.baselines:
        values[BASELINES_PROPERTY] = list(graph.evaluation.baselines)
    return checked_properties(f"neuron {graph.key}", values)


def graph_from_line(key: str, line: str) -> NeuronGraph:
    """The graph stored whole on (:Neuron {key}) as its file line; N2GError when it does
    not parse (written by something other than n2g-ingest: reload its graph file)."""
    try:
        return parse_graph_line(line)
    except GraphFileError as exc:
        raise N2GError(
            f"neuron {key!r} in the database holds no valid graph ({exc.reason}); "
            "reload its graph file with n2g-ingest"
        ) from None


def trie_key(neuron: str, node_id: int) -> str:
    """Stable unique key of a trie node: `<neuron key>#<node id in the graph file>`."""
    return f"{neuron}#{node_id}"


@dataclass
class NeuronRow:
    """One neuron's parameter row for ingest/create_neurons.cypher, with its counts."""

    key: str
    model: str
    row: dict[str, Any]
    tokens: set[str]
    n_nodes: int
    n_relationships: int

    @property
    def encoded_bytes(self) -> int:
        """The bytes the row takes in a Bolt message, exactly (`packed_size`);
        PropertyTypeError when no message can carry it."""
        return packed_size(self.row)


def first_steps(graph: NeuronGraph) -> dict[str, tuple[float, set[str]]]:
    """Per activating token: (`alone`, `firsts`) of its ACTIVATES_ON relationship, what a
    text must hold for a path from that token to match (queries/text_candidates.cypher).
    `firsts`: the tokens one step back on its paths. `alone`: the largest value of its paths
    that need no particular token one step back (an end right under it, or an ignore
    step: bounded by the activating node's own value), 0.0 when there is none."""
    kinds = {node.id: node for node in graph.nodes}
    out: dict[str, tuple[float, set[str]]] = {}
    for parent, child in graph.edges:
        root, step = kinds[parent], kinds[child]
        if root.kind != NodeKind.ACTIVATING or root.token is None:
            continue
        alone, firsts = out.get(root.token, (0.0, set()))
        if step.kind == NodeKind.CONTEXT and step.token is not None:
            firsts.add(step.token)
        elif step.kind == NodeKind.END:
            alone = max(alone, step.activation or 0.0)
        elif step.kind == NodeKind.IGNORE:
            alone = max(alone, root.activation or 0.0)
        out[root.token] = (alone, firsts)
    for node in graph.nodes:  # an activating node with no step at all matches nothing
        if node.kind == NodeKind.ACTIVATING and node.token is not None:
            out.setdefault(node.token, (0.0, set()))
    return out


def neuron_row(graph: NeuronGraph) -> NeuronRow:
    """The row of one neuron graph; PropertyTypeError if a value cannot be stored.

    Trie nodes are grouped by kind (a label cannot be a parameter; the statement creates
    each group under its label); `next` holds each edge as [parent position, child
    position] in the groups concatenated in NodeKind order, so the statement links nodes
    it just created without looking them up.
    """
    key = graph.key
    groups: dict[NodeKind, list[TrieNode]] = {kind: [] for kind in NodeKind}
    for node in graph.nodes:
        groups[node.kind].append(node)
    position: dict[int, int] = {}
    edges = token_edges(graph)
    row: dict[str, Any] = {"model": graph.model, "props": neuron_properties(graph, edges)}
    for kind, nodes in groups.items():
        props_list = []
        for node in nodes:
            position[node.id] = len(position)
            props_list.append(trie_node_properties(key, node))
        row[kind.value] = props_list
    row["next"] = [[position[parent], position[child]] for parent, child in graph.edges]
    row["activates_on"], row["has_context"] = edges
    row["examples"] = [example_properties(key, example) for example in graph.evidence]
    n_roots = len(groups[NodeKind.ACTIVATING])
    return NeuronRow(
        key=key,
        model=graph.model,
        row=row,
        tokens={edge["text"] for part in edges for edge in part},
        n_nodes=1 + len(graph.nodes) + len(graph.evidence),
        # HAS_NEURON + TRIE_ROOT + NEXT + ACTIVATES_ON + HAS_CONTEXT + HAS_EXAMPLE
        n_relationships=1
        + n_roots
        + len(graph.edges)
        + len(edges[0])
        + len(edges[1])
        + len(graph.evidence),
    )


# -- read: the records of queries/neuron_graph.cypher -> NeuronGraph -------------------------


def trie_node_data(properties: Mapping[str, Any], labels: Iterable[str]) -> dict[str, Any]:
    """A stored trie node as TrieNode fields (its kind from its label)."""
    kind = next((KIND_OF_LABEL[label] for label in labels if label in KIND_OF_LABEL), None)
    data = {name: properties[name] for name in TRIE_NODE_FIELDS if name in properties}
    return {"kind": kind, **data}


def graph_from_properties(
    properties: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]],
    edges: Iterable[tuple[int, int]],
    examples: Iterable[Mapping[str, Any]] = (),
) -> NeuronGraph:
    """A (:Neuron)'s properties and its trie -> NeuronGraph; N2GError when they do not
    form a valid graph (e.g. a neuron stored by an older mapping: reload it)."""
    data: dict[str, Any] = {}
    for name, path in NEURON_PROPERTIES + LEGACY_NEURON_PROPERTIES:
        if properties.get(name) is not None:
            put_path(data, path, properties[name])
    settings = properties.get(SETTINGS_PROPERTY)
    if settings is not None:
        data["settings"] = json.loads(settings)
    upgrade_graph_data(data)  # settings stored before one existed read as in a file
    if "evaluation" in data:
        restore_empty_parts(Evaluation, data["evaluation"])
        baselines = data["evaluation"].setdefault("baselines", {})
        for name in properties.get(BASELINES_PROPERTY) or ():
            baselines.setdefault(name, {})  # scored, every score undefined
    data["nodes"], data["edges"] = list(nodes), list(edges)
    data["evidence"] = [example_data(e) for e in examples]
    try:
        return NeuronGraph.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "graph"
        raise N2GError(
            f"neuron {properties.get('key')!r} in the database is not a valid graph "
            f"({where}: {first['msg']}); reload its graph file with n2g-ingest"
        ) from None


def graphs_from_records(
    records: Iterable[Mapping[str, Any]],
    examples: Iterable[Mapping[str, Any]] = (),
) -> dict[str, NeuronGraph]:
    """The graphs in the records of queries/neuron_graph.cypher: {neuron, node, labels,
    parent} per trie node (node null for a neuron without a trie), keyed by neuron key,
    with the evidence in `examples`, the records of queries/unit_examples.cypher
    ({neuron, example} per stored example)."""
    evidence: dict[str, list[Mapping[str, Any]]] = {}
    for record in examples:
        evidence.setdefault(record["neuron"], []).append(record["example"])
    neurons: dict[str, Mapping[str, Any]] = {}
    nodes: dict[str, list[dict[str, Any]]] = {}
    edges: dict[str, list[tuple[int, int]]] = {}
    for record in records:
        key = record["neuron"]["key"]
        neurons[key] = record["neuron"]
        nodes.setdefault(key, [])
        edges.setdefault(key, [])
        node = record["node"]
        if node is None:
            continue
        nodes[key].append(trie_node_data(node, record["labels"] or ()))
        if record["parent"] is not None:
            edges[key].append((record["parent"], node["id"]))
    return {
        key: graph_from_properties(p, nodes[key], edges[key], evidence.get(key, ()))
        for key, p in neurons.items()
    }
