"""Check the relations the graphs claim against the model: do related units co-activate?

N2G relates units from their graphs alone (token-set overlap). The main job, which has
the model loaded, checks those claims on the units' true activations:

- per similarity threshold, the similar and subset pairs (a seeded sample of each) and
  random pairs with the same layers: the Pearson r of the two units' activations on
  random windows of the corpus (a) and on the union of both units' top recorded windows
  (b) (n2g.report.coactivation holds the torch-free half);
- per group (every level: the paper's components and the communities), the mean r of
  its member pairs on the random windows (a sample of members in large groups), against
  random pairs drawn with the groups' layers; a group co-activates "well above random"
  when its mean exceeds the 95th percentile of those random pairs' r.

Cost: one shared forward pass over the random windows for every unit asked, and one
over the distinct top windows of every unit in the sampled pairs (n2g.models.traces), not
a pass per pair (bench/coactivation.py times both ways).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from n2g.graph.key import parse_neuron_key
from n2g.models.base import NeuronModel
from n2g.models.traces import unit_traces
from n2g.record.store import load_layer
from n2g.report.coactivation import (
    RANDOM_CATEGORY,
    CoactivationConfig,
    LevelCheck,
    Pair,
    RelationCheck,
    matched_random_pairs,
    pearson,
    related_pairs,
    summarise,
)
from n2g.search.similarity import NeuronTokenSets

if TYPE_CHECKING:
    from n2g.record.corpus import Corpus
    from n2g.run.config import RunConfig
    from n2g.search.api import NeuronSearch

Unit = tuple[int, int]  # (layer, index)


def _unit(key: str) -> Unit:
    unit = parse_neuron_key(key)
    if unit.layer is None or unit.unit_set is not None:
        raise ValueError(f"{key} is not an MLP neuron")
    return unit.layer, unit.unit


def _defined_mean(values: Sequence[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return float(np.mean(defined)) if defined else math.nan


def _group_r(rows: np.ndarray) -> float:
    """Mean r over the member pairs (rows: members' traces); NaN when none is defined."""
    return _defined_mean(
        [pearson(rows[i], rows[j]) for i in range(len(rows)) for j in range(i + 1, len(rows))]
    )


def _sample(members: Sequence[str], k: int, rng: random.Random) -> list[str]:
    members = sorted(members)
    return members if len(members) <= k else sorted(rng.sample(members, k))


def check_relations(
    model: NeuronModel,
    windows: Sequence[Sequence[int]],
    records: Path,
    sets: Sequence[NeuronTokenSets],
    groups: Sequence[Mapping],
    config: CoactivationConfig,
) -> tuple[RelationCheck, list[dict]]:
    """The check (see the module docstring) and, per group, the row to store
    ({key, coactivation, pairs, random}); `groups` rows hold key, level and members."""
    start = time.perf_counter()
    rng = random.Random(config.seed)
    neurons = sorted((s for s in sets if s.activating), key=lambda s: s.key)  # any order in
    categories = related_pairs(neurons, config.thresholds, config.pairs, config.seed)
    by_layer: dict[int, list[str]] = {}
    for s in neurons:
        by_layer.setdefault(s.layer, []).append(s.key)
    layer_of = {s.key: s.layer for s in neurons}
    pattern = [
        (layer_of[a], layer_of[b]) for a, b in categories[f"similar@{config.thresholds[0]:g}"]
    ]
    pattern = pattern or [(layer, layer) for layer in sorted(by_layer)]
    categories[RANDOM_CATEGORY] = matched_random_pairs(
        pattern, by_layer, config.random_pairs, config.seed
    )
    sampled = {g["key"]: _sample(g["members"], config.members, rng) for g in groups}
    group_pattern = [
        (layer_of[a], layer_of[b])
        for members in sampled.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
        if a in layer_of and b in layer_of
    ]
    group_random = (
        matched_random_pairs(group_pattern, by_layer, config.random_pairs, config.seed + 1)
        if group_pattern
        else []
    )
    pairs = sorted({p for ps in categories.values() for p in ps} | set(group_random))
    keys = sorted({k for p in pairs for k in p} | {k for m in sampled.values() for k in m})
    row = {key: i for i, key in enumerate(keys)}
    traces = unit_traces(model, windows, [_unit(k) for k in keys])
    r_random = {p: pearson(traces[row[p[0]]], traces[row[p[1]]]) for p in pairs}
    # (b) costs a pass over each pair's distinct top windows: the first pairs of each
    # category (seeded samples already), not all of them.
    firsts = {name: ps[: config.top_pairs] for name, ps in categories.items()}
    r_top = _top_window_r(model, records, firsts, config.top)
    stored, levels, p95_groups = _group_scores(groups, sampled, traces, row, group_random, r_random)
    random_r = [r_random[p] for p in categories[RANDOM_CATEGORY] if not math.isnan(r_random[p])]
    check = RelationCheck(
        random_windows=[
            _defined(summarise(name, [r_random[p] for p in ps], config.seed).as_dict())
            for name, ps in categories.items()
        ],
        top_windows=[
            _defined(summarise(name, [r_top[p] for p in ps if p in r_top], config.seed).as_dict())
            for name, ps in categories.items()
        ],
        random_p95=float(np.percentile(random_r, 95)) if random_r else None,
        group_random_p95=p95_groups,
        group_random_mean=_nan_to_none(_defined_mean([r_random[p] for p in group_random])),
        levels=levels,
        windows=len(windows),
        tokens=sum(len(w) for w in windows),
        units=len(keys),
        seconds=time.perf_counter() - start,
    )
    return check, stored


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _defined(row: dict) -> dict:
    """A summary row with None where a figure is undefined (NaN is not JSON)."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _group_scores(
    groups: Sequence[Mapping],
    sampled: Mapping[str, list[str]],
    traces: np.ndarray,
    row: Mapping[str, int],
    group_random: Sequence[Pair],
    r_random: Mapping[Pair, float],
) -> tuple[list[dict], list[LevelCheck], float | None]:
    baseline = [r_random[p] for p in group_random if not math.isnan(r_random[p])]
    p95 = float(np.percentile(baseline, 95)) if baseline else None
    mean = _nan_to_none(_defined_mean(baseline))
    stored: list[dict] = []
    by_level: dict[int, list[tuple[int, float]]] = {}
    for group in groups:
        members = sampled[group["key"]]
        r = _group_r(traces[[row[m] for m in members]])
        n_pairs = len(members) * (len(members) - 1) // 2
        stored.append(
            {"key": group["key"], "coactivation": _nan_to_none(r), "pairs": n_pairs, "random": mean}
        )
        by_level.setdefault(int(group["level"]), []).append((int(group["size"]), r))
    levels = []
    for level, scored in sorted(by_level.items()):
        defined = [(size, r) for size, r in scored if not math.isnan(r)]
        above = [(size, r) for size, r in defined if p95 is not None and r > p95]
        levels.append(
            LevelCheck(
                level=level,
                groups=len(scored),
                units=sum(size for size, _ in scored),
                groups_above=len(above),
                units_above=sum(size for size, _ in above),
                median_r=float(np.median([r for _, r in defined])) if defined else None,
                undefined=len(scored) - len(defined),
            )
        )
    return stored, levels, p95


def _top_window_r(
    model: NeuronModel, records: Path, categories: Mapping[str, list[Pair]], top: int
) -> dict[Pair, float]:
    """Each pair's r over the union of both units' `top` best recorded windows: one shared
    pass over every distinct window of every unit asked."""
    pairs = sorted({p for ps in categories.values() for p in ps})
    units = sorted({_unit(k) for p in pairs for k in p})
    if not units:
        return {}
    window_ids: dict[tuple[int, ...], int] = {}
    of_unit: dict[Unit, list[int]] = {}
    for layer in sorted({layer for layer, _ in units}):
        recorded = load_layer(records, layer)
        for _, index in (u for u in units if u[0] == layer):
            tokens = [tuple(int(t) for t in ids) for ids, _ in recorded.examples(index)[:top]]
            of_unit[(layer, index)] = [window_ids.setdefault(w, len(window_ids)) for w in tokens]
        del recorded
    windows = list(window_ids)
    traces = unit_traces(model, windows, units)
    offsets = np.cumsum([0] + [len(w) for w in windows])
    column = {unit: i for i, unit in enumerate(units)}
    out = {}
    for a, b in pairs:
        ids = sorted(set(of_unit[_unit(a)]) | set(of_unit[_unit(b)]))
        if not ids:
            out[(a, b)] = math.nan
            continue
        cols = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in ids])
        out[(a, b)] = pearson(traces[column[_unit(a)], cols], traces[column[_unit(b)], cols])
    return out


def check_run(
    search: NeuronSearch,
    model: NeuronModel,
    corpus: Corpus,
    config: RunConfig,
    say: Callable[[str], None],
) -> RelationCheck:
    """The main job's check of its units' relations; the groups' scores are stored on
    them, one line a level is said."""
    from n2g.graph.file import read_graph_files
    from n2g.record.corpus import random_windows
    from n2g.record.store import load_manifest
    from n2g.search import store

    settings = config.coactivation or CoactivationConfig()
    window = load_manifest(config.records_dir).window
    windows = random_windows(corpus, model.tokenizer, window, settings.windows, settings.seed)
    # The run's own units and groups: the store may hold other runs' units of the model,
    # and its groups were computed over them all; a stored group gets its score when it
    # is one of this run's (same key, same members).
    ours = {g.key for g in read_graph_files([config.graph_file])}
    sets = [s for s in search.token_sets([model.name]) if s.key in ours]
    groups = [
        {"key": g.key, "level": g.level, "size": g.size, "members": g.members}
        for g in run_groups(sets, model.name, config)
    ]
    check, rows = check_relations(
        model, [ids for _, ids in windows], config.records_dir, sets, groups, settings
    )
    stored = {g["key"]: sorted(g["members"]) for g in store.group_members(search.db, model.name)}
    members = {g["key"]: sorted(g["members"]) for g in groups}
    store.write_group_coactivation(
        search.db, [row for row in rows if stored.get(row["key"]) == members[row["key"]]]
    )
    store.write_model_coactivation(search.db, model.name, pair_summary(check, settings))
    for level in check.levels:
        say(
            f"level {level.level}: {level.groups_above} of {level.groups} groups "
            f"({level.units_above:,} of {level.units:,} units) co-activate above random "
            f"(r > {check.group_random_p95 or 0:.2f}, the 95th percentile of random pairs)"
        )
    return check


def run_groups(sets: Sequence[NeuronTokenSets], scope: str, config: RunConfig) -> list:
    """The groups of the run's own units: the paper's components at the run's threshold
    and the communities at its resolutions (n2g.search.grouping computes the same)."""
    from n2g.search.communities import community_groups
    from n2g.search.groups import neuron_groups
    from n2g.search.similarity import similarity_join

    pairs = similarity_join(sets, config.similarity)
    layers = {s.key: s.layer for s in sets}
    groups = neuron_groups(pairs, layers, scope, config.similarity.threshold)
    if config.communities is not None:
        groups += community_groups(sets, scope, config.communities)
    return groups


def pair_summary(check: RelationCheck, config: CoactivationConfig) -> str:
    """The per-category rows stored on the model (JSON text) for the compare page."""
    import json

    keep = ("category", "pairs", "undefined", "median", "mean")
    return json.dumps(
        {
            "thresholds": list(config.thresholds),
            "windows": check.windows,
            "random_windows": [{k: row[k] for k in keep} for row in check.random_windows],
            "top_windows": [{k: row[k] for k in keep} for row in check.top_windows],
        },
        allow_nan=False,
        default=str,
    )
