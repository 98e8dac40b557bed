"""Where each score of a graph's evaluation is stored on its (:Neuron), and which ones rank.

The evaluation (n2g.graph.evaluation) is nested: N2G's and each scoring method's
precision, recall and F1, in and out of distribution, correlations, delphi's detection and
fuzzing. A property holds a flat value, so each score is a property named after its place
(`token_lookup_f1`, `ood_bigram_false_positive_rate`, `detection_n2g_tpr`), derived here
from the registry of scoring methods, never written out per method. The mapping
(n2g.db.mapping) writes and reads them through these tables; `n2g top --by` ranks by
`SCORE_PROPERTIES`; the quality query reads `QUALITY_COLUMNS`.
"""

from __future__ import annotations

from n2g.scoring import N2G, baseline_names

# (property of the (:Neuron), path of the value in the model). Written by walking each
# path into the graph, read back by setting each path; absent values are not stored.
PropertyPaths = tuple[tuple[str, tuple[str, ...]], ...]


def _scores(prefix: str, *path: str) -> PropertyPaths:
    return tuple((f"{prefix}{name}", (*path, name)) for name in ("precision", "recall", "f1"))


def _baseline_ood(name: str) -> PropertyPaths:
    path = ("out_of_distribution", "baselines", name)
    return (
        (f"ood_{name}_false_positive_rate", (*path, "false_positive_rate")),
        *_scores(f"ood_{name}_", *path, "scores"),
    )


def _delphi(method: str, *path: str) -> PropertyPaths:
    """One method's detection and fuzzing: `detection_NAME` (the balanced accuracy),
    `detection_NAME_tpr`, `_tnr`, `_decile_hits`, the same for `fuzzing_NAME`."""
    fields = (("", "balanced_accuracy"), ("_tpr", "true_positive_rate"),
              ("_tnr", "true_negative_rate"), ("_decile_hits", "decile_hits"))  # fmt: skip
    return tuple(
        (f"{score}_{method}{suffix}", ("delphi", *path, score, field))
        for score in ("detection", "fuzzing")
        for suffix, field in fields
    )


EVALUATION_PROPERTIES: PropertyPaths = (
    ("firing_threshold", ("firing_threshold",)),
    ("n_train_examples", ("n_train_examples",)),
    ("n_test_examples", ("n_test_examples",)),
    ("n_test_tokens", ("n_test_tokens",)),
    ("n_test_firing", ("n_test_firing",)),
    *_scores("", "n2g"),
    # Each scoring method (n2g.scoring) under its name: `{name}_f1`, `ood_{name}_f1`,
    # `correlation_{name}` (token_lookup_f1, ngram_f1, bigram_f1, ...).
    *(p for name in baseline_names() for p in _scores(f"{name}_", "baselines", name)),
    ("ood_corpus", ("out_of_distribution", "corpus")),
    ("ood_n_tokens", ("out_of_distribution", "n_tokens")),
    ("ood_n_true_firing", ("out_of_distribution", "n_true_firing")),
    ("ood_false_positive_rate", ("out_of_distribution", "false_positive_rate")),
    *_scores("ood_", "out_of_distribution", "scores"),
    *(p for name in baseline_names() for p in _baseline_ood(name)),
    ("correlation_n_top_windows", ("correlation", "n_top_windows")),
    ("correlation_n_random_windows", ("correlation", "n_random_windows")),
    (f"correlation_{N2G}", ("correlation", N2G)),
    *((f"correlation_{name}", ("correlation", "baselines", name)) for name in baseline_names()),
    ("delphi_context_tokens", ("delphi", "context_tokens")),
    ("delphi_decile_sizes", ("delphi", "decile_sizes")),
    ("delphi_n_non_activating", ("delphi", "n_non_activating")),
    ("delphi_n_highlighted", ("delphi", "n_highlighted")),
    *_delphi(N2G, N2G),
    *(p for name in baseline_names() for p in _delphi(name, "baselines", name)),
)
# The scoring methods a graph was scored with (a flat list of names): a method whose scores
# are all undefined stores no value, and is still one the graph has.
BASELINES_PROPERTY = "baselines"
# The stored scores a unit can be ranked by (`n2g top --by`): precision, recall, F1 and
# false-positive rates of N2G and the baselines, in and out of distribution, correlations,
# delphi's detection and fuzzing (balanced accuracy, TPR, TNR).
SCORE_PROPERTIES: tuple[str, ...] = tuple(
    name
    for name, _ in EVALUATION_PROPERTIES
    if name.endswith(("precision", "recall", "f1", "false_positive_rate"))
    or (name.startswith("correlation_") and not name.startswith("correlation_n_"))
    or (name.startswith(("detection_", "fuzzing_")) and not name.endswith("_decile_hits"))
)

# The properties of each method's means (queries/model_quality.cypher): F1, correlation
# and out-of-distribution false-positive rate, N2G's first.
QUALITY_COLUMNS: list[dict[str, str]] = [
    {"method": N2G, "f1": "f1", "correlation": f"correlation_{N2G}",
     "ood_fpr": "ood_false_positive_rate"},
    *({"method": name, "f1": f"{name}_f1", "correlation": f"correlation_{name}",
       "ood_fpr": f"ood_{name}_false_positive_rate"} for name in baseline_names()),
]  # fmt: skip
