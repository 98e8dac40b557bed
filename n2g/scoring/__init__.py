"""Scoring methods: the baselines every neuron graph is compared with, one module each.

The paper scores a graph against a token lookup; this project adds a 5-gram lookup and a
bigram lookup. Each is a plug-in: a module here defining one `Scorer` subclass (its name,
its label, how it fits on a unit's training examples and how it predicts). The registry
(`n2g.scoring.base.scorers`) finds every module of this package, so the builder, the graph
file, the database mapping, the report, `n2g top`, export, the service, synthetic data and
the benchmarks all take their list of methods from one place: a new method is one file
(and its test).

N2G itself is not a plug-in: its predictor is the graph being scored (built from model
passes, saliency and augmentation, not fitted from (tokens, activations) pairs), and its
scores keep their own place in the graph (`Evaluation.n2g`) beside the baselines'
(`Evaluation.baselines`, keyed by method name). `methods()` lists N2G first, then the
plug-ins.

Importing this package costs numpy only: the read side (report, service, database) uses
the registry's names and labels and must stay torch-free.
"""

from n2g.scoring.base import (
    N2G,
    Examples,
    Scorer,
    baseline_names,
    label,
    methods,
    scorer,
    scorers,
)

__all__ = [
    "N2G",
    "Examples",
    "Scorer",
    "baseline_names",
    "label",
    "methods",
    "scorer",
    "scorers",
]
