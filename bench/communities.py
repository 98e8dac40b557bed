"""Communities of the similarity graph on a whole SmolLM2-sized set of units.

    .venv/bin/python -m bench.communities [--quick] [--neurons N] [--floor 0.3] [--json PATH]
    .venv/bin/python -m bench.communities --graphs n2g-run/graphs.jsonl   (real graphs)

On N units (default 46,080 = SmolLM2-135M's MLP neurons; the synthetic Zipf-like graphs
of bench.query) or on a graph file, side by side in one run:

- ours: every pair scoring ≥ the floor by sparse matrix products (n2g.search.pair_scores)
  and the nested Leiden communities at the default resolutions (n2g.search.communities,
  igraph);
- the plain way: the same pairs by the set-similarity join's Python loop
  (n2g.search.similarity, exact, as used for the paper's pairs), then networkx's Louvain
  (modularity: networkx has no CPM) at each resolution on the units' graph.

Both find the same pairs (checked). The headline figure is our whole time in seconds; the
extras hold each part, the edge count, the groups per level, and what nesting costs: the
CPM quality of each nested level against Leiden run alone on the units' graph at the same
resolution (sum over groups of their pairs' scores minus resolution × their pairs;
higher is better).
"""

from __future__ import annotations

from pathlib import Path

import igraph  # noqa: F401  (both ways' libraries are loaded before anything is timed)
import networkx as nx
import numpy as np

from bench._common import BenchResult, bench_arg_parser, report, timed
from n2g.graph.file import read_graph_files
from n2g.report.groups import graph_token_sets
from n2g.search.communities import CommunityConfig, community_groups, nested_memberships
from n2g.search.pair_scores import WeightedEdges, scored_pairs
from n2g.search.similarity import Relation, SimilarityConfig, similarity_join
from n2g.testing.synthetic import synthetic_graphs


def _graph(edges: WeightedEdges) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(len(edges.keys)))
    graph.add_weighted_edges_from(
        zip(edges.sources.tolist(), edges.targets.tolist(), edges.weights.tolist(), strict=True)
    )
    return graph


def _cpm_quality(edges: WeightedEdges, membership: np.ndarray, resolution: float) -> float:
    """Σ over groups of (their pairs' scores − resolution × their number of pairs)."""
    inside = membership[edges.sources] == membership[edges.targets]
    sizes = np.bincount(membership).astype(np.float64)
    return float(edges.weights[inside].sum() - resolution * (sizes * (sizes - 1) / 2).sum())


def _alone(edges: WeightedEdges, resolution: float) -> np.ndarray:
    """Leiden (CPM) on the units' graph at one resolution, not nested."""
    return nested_memberships(edges, CommunityConfig(floor=0.3, resolutions=(resolution,)))[0]


def main() -> None:
    parser = bench_arg_parser("communities of the similarity graph (n2g similar)")
    parser.add_argument("--neurons", type=int, default=None, help="synthetic units (46,080)")
    parser.add_argument("--graphs", type=Path, default=None, help="real graphs (a graph file)")
    parser.add_argument("--floor", type=float, default=CommunityConfig().floor)
    args = parser.parse_args()
    config = CommunityConfig(floor=args.floor)
    if args.graphs is not None:
        graphs = [g for g in read_graph_files([args.graphs]) if g.unit_set is None]
    else:
        n = args.neurons or (3_000 if args.quick else 46_080)
        graphs = list(synthetic_graphs(n, model="synthetic-smollm2", seed=0))
    sets = graph_token_sets(graphs)
    print(
        f"{len(sets):,} units; floor {config.floor}, resolutions {config.resolutions}", flush=True
    )

    pairs_s, edges = timed(lambda: scored_pairs(sets, config.floor))
    leiden_s, memberships = timed(lambda: nested_memberships(edges, config))
    groups_s, groups = timed(lambda: community_groups(sets, "bench", config, edges=edges))
    ours_s = pairs_s + groups_s  # community_groups runs the Leiden levels again itself
    print(f"ours: pairs {pairs_s:.1f} s, Leiden {leiden_s:.1f} s, groups {groups_s:.1f} s")

    join_config = SimilarityConfig(threshold=config.floor, subsets=False)
    join_s, joined = timed(lambda: similarity_join(sets, join_config))
    plain_pairs = sorted((p.source, p.target) for p in joined if p.relation == Relation.SIMILAR_TO)
    ours_pairs = sorted(
        (edges.keys[s], edges.keys[t])
        for s, t in zip(edges.sources.tolist(), edges.targets.tolist(), strict=True)
    )
    assert plain_pairs == ours_pairs, "the sparse pairs and the join disagree"
    graph = _graph(edges)
    louvain_s, louvain = timed(
        lambda: [
            nx.community.louvain_communities(graph, weight="weight", resolution=r, seed=0)
            for r in config.resolutions
        ]
    )
    plain_s = join_s + louvain_s
    print(f"plain: join {join_s:.1f} s, Louvain {louvain_s:.1f} s", flush=True)

    levels = []
    for level, resolution in enumerate(config.resolutions, start=1):
        sizes = [g.size for g in groups if g.level == level]
        levels.append(
            {
                "level": level,
                "resolution": resolution,
                "groups": len(sizes),
                "grouped_units": sum(sizes),
                "largest": max(sizes, default=0),
                "median_size": float(np.median(sizes)) if sizes else 0.0,
                "louvain_groups": sum(1 for c in louvain[level - 1] if len(c) > 1),
                "cpm_nested": _cpm_quality(edges, memberships[level - 1], resolution),
                "cpm_alone": _cpm_quality(edges, _alone(edges, resolution), resolution),
            }
        )
        print(levels[-1], flush=True)
    result = BenchResult(
        name=f"communities of {len(sets):,} " + ("real units" if args.graphs else "units"),
        unit="s",
        figure=ours_s,
        plain_figure=plain_s,
        higher_is_better=False,
        quick=args.quick,
        extra={
            "units": len(sets),
            "graphs": str(args.graphs) if args.graphs else "synthetic",
            "floor": config.floor,
            "resolutions": list(config.resolutions),
            "edges": len(edges.sources),
            "pairs_seconds": round(pairs_s, 2),
            "leiden_seconds": round(leiden_s, 2),
            "groups_seconds": round(groups_s, 2),
            "join_seconds": round(join_s, 2),
            "louvain_seconds": round(louvain_s, 2),
            "levels": levels,
        },
    )
    report(result, args)


if __name__ == "__main__":
    main()
