"""How well a graph predicts its unit: the scores stored with every graph.

The paper's precision/recall/F1 of the firing class on held-out windows, the same for each
scoring method of n2g.scoring, the out-of-distribution check, the correlation score and
delphi's detection and fuzzing. Apart from the graph model (n2g.graph.model) because they
are a concept of their own: the report, the database mapping and the service read them
without the trie. Also the strict base model and the probability type the graph model
shares.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from n2g.scoring import N2G, baseline_names

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


def by_method(values: dict[str, Any]) -> dict[str, Any]:
    """`values` keyed by registered scoring methods, in the registry's order (one canonical
    order: equal graphs dump the same line); ValueError naming an unknown method."""
    names = baseline_names()
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValueError(f"unknown scoring method {unknown[0]!r} (known: {', '.join(names)})")
    return {name: values[name] for name in names if name in values}


class Scores(StrictModel):
    """Precision/recall/F1 of the firing class (normalised activation ≥ threshold).

    All three are None when undefined (no firing token in the truth and none predicted).
    """

    precision: Probability | None = None
    recall: Probability | None = None
    f1: Probability | None = None


class BaselineOutOfDistribution(StrictModel):
    """A baseline's false-positive rate and scores on the same foreign windows."""

    false_positive_rate: Probability
    scores: Scores


class OutOfDistribution(StrictModel):
    """Predictions on random windows of a different corpus (a check the paper lacked).

    `false_positive_rate`/`scores` are N2G's; the baselines (`baselines`, keyed by scoring
    method), built from the same training examples, are scored on the same windows so the
    methods can be compared.
    """

    corpus: str
    n_tokens: Annotated[int, Field(ge=0)]
    n_true_firing: Annotated[int, Field(ge=0)]
    false_positive_rate: Probability
    scores: Scores
    baselines: dict[str, BaselineOutOfDistribution] = Field(default_factory=dict)

    _known_methods = field_validator("baselines")(by_method)

    def of(self, method: str) -> BaselineOutOfDistribution | None:
        """One method's false-positive rate and scores (N2G's too); None: not checked."""
        if method == N2G:
            return BaselineOutOfDistribution(
                false_positive_rate=self.false_positive_rate, scores=self.scores
            )
        return self.baselines.get(method)


class Correlation(StrictModel):
    """The correlation score of OpenAI's explain/simulate/score method, for comparison
    with the field: Pearson r of predicted vs true normalised activations, pooled over
    every token of the held-out top-activating windows and of random windows of the
    recording corpus. None when undefined (a constant prediction or truth); a baseline's
    undefined r is left out of `baselines` (as the database leaves it out)."""

    n_top_windows: Annotated[int, Field(ge=0)]
    n_random_windows: Annotated[int, Field(ge=0)]
    n2g: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None
    baselines: dict[str, Annotated[float, Field(ge=-1.0, le=1.0)]] = Field(default_factory=dict)

    @field_validator("baselines", mode="before")
    @classmethod
    def _undefined_left_out(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {name: value for name, value in values.items() if value is not None}
        return values

    _known_methods = field_validator("baselines")(by_method)

    def of(self, method: str) -> float | None:
        """One method's r (N2G's too); None when undefined or not computed."""
        return self.n2g if method == N2G else self.baselines.get(method)


class Classification(StrictModel):
    """One method judging a unit's held-out contexts as delphi's scorer LLM does (detection:
    does the context activate the unit; fuzzing: are its highlighted tokens the firing
    ones). Rates are None when their class is empty, and so is the balanced accuracy;
    `decile_hits`: per decile of the activating contexts (weakest first), those it judged
    right (`Delphi.decile_sizes` holds how many there are). n2g.builder.delphi defines it."""

    balanced_accuracy: Probability | None = None
    true_positive_rate: Probability | None = None
    true_negative_rate: Probability | None = None
    decile_hits: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list)


class DelphiMethod(StrictModel):
    """A method's two delphi scores on the same contexts."""

    detection: Classification
    fuzzing: Classification


class Delphi(StrictModel):
    """delphi's detection and fuzzing protocol (EleutherAI; Paulo et al. 2024) with the graph
    (`n2g`) and each baseline (`baselines`, keyed by scoring method) as the scorer instead of
    an LLM reading an explanation, for numbers beside published ones. The contexts: one per
    held-out window that holds a firing token, binned into deciles by its strongest
    activation (`decile_sizes`, weakest first), and `n_non_activating` slices of random
    windows with none; each wrongly highlighted fuzzing context has `n_highlighted` random
    tokens marked. The exact rules: n2g.builder.delphi."""

    context_tokens: Annotated[int, Field(ge=1)]
    decile_sizes: list[Annotated[int, Field(ge=0)]]
    n_non_activating: Annotated[int, Field(ge=0)]
    n_highlighted: Annotated[int, Field(ge=1)]
    n2g: DelphiMethod
    baselines: dict[str, DelphiMethod] = Field(default_factory=dict)

    _known_methods = field_validator("baselines")(by_method)

    @model_validator(mode="after")
    def _hits_within_deciles(self) -> Delphi:
        for scored in (self.n2g, *self.baselines.values()):
            for judged in (scored.detection, scored.fuzzing):
                hits = judged.decile_hits
                if len(hits) != len(self.decile_sizes) or any(
                    hit > size for hit, size in zip(hits, self.decile_sizes, strict=True)
                ):
                    raise ValueError("decile_hits must count within decile_sizes, one a decile")
        return self

    def of(self, method: str) -> DelphiMethod | None:
        """One method's scores (N2G's too); None: the method was not run."""
        return self.n2g if method == N2G else self.baselines.get(method)


class Evaluation(StrictModel):
    """The paper's protocol: top-k examples split train/test, firing threshold 0.5."""

    firing_threshold: Probability = 0.5
    n_train_examples: Annotated[int, Field(ge=0)]
    n_test_examples: Annotated[int, Field(ge=0)]
    n_test_tokens: Annotated[int, Field(ge=0)]
    # Test tokens whose true normalised activation is ≥ the threshold. Zero means P/R/F1
    # are undefined for this neuron: it is counted and reported, never silently dropped.
    n_test_firing: Annotated[int, Field(ge=0)]
    n2g: Scores
    # The baselines' scores, keyed by scoring method (n2g.scoring); a method missing here
    # was not run when the graph was built (e.g. added to n2g.scoring later).
    baselines: dict[str, Scores] = Field(default_factory=dict)
    out_of_distribution: OutOfDistribution | None = None
    correlation: Correlation | None = None
    # delphi's detection and fuzzing; None in graphs built before it existed (or without
    # random windows of the corpus)
    delphi: Delphi | None = None

    _known_methods = field_validator("baselines")(by_method)

    def scores(self, method: str) -> Scores | None:
        """One method's scores (N2G's too); None: the method was not run."""
        return self.n2g if method == N2G else self.baselines.get(method)
