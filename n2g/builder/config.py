"""The builder's settings: one validated pydantic object, recorded in every graph."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from n2g.graph.model import BarePaths, BuildSettings, Grades


class BuildConfig(BaseModel):
    """How N2G graphs are built and evaluated (paper defaults where the paper gives one).

    Thresholds are fractions: `prune_threshold` of eq. 2, `augment_threshold` of eq. 4,
    `importance_threshold` for saliency (eq. 3) deciding which context tokens are kept,
    `firing_threshold` (of a / a_max) for evaluation and, with `pivots="firing"`, for which
    tokens of a training example become pivots (see `n2g.builder.prune`).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    prune_threshold: float = Field(0.5, gt=0.0, le=1.0)
    importance_threshold: float = Field(
        0.75, gt=0.0, le=1.0, description="saliency a context token needs to be kept"
    )
    augment_threshold: float = Field(0.5, gt=0.0, le=1.0)
    firing_threshold: float = Field(0.5, gt=0.0, le=1.0)
    pivots: Literal["argmax", "firing"] = Field(
        "firing",
        description='"argmax": one pivot per example (paper eq. 1); "firing": every token '
        "with a / a_max >= firing_threshold (argmax included) pivots its own example",
    )
    end_activation: Literal["rescaled", "pruned"] = Field(
        "rescaled",
        description='END nodes hold "rescaled": pruned activation x original/pruned (the '
        'paper\'s numbers) or "pruned": the activation on the pruned context',
    )
    helper: str = Field(
        "none",
        description='augmentation: "none", "embed", "mlm[:NAME|PATH]" or "causal[:MODEL]"',
    )
    n_substitutes: int = Field(5, ge=0, le=100, description="substitutes per important token")
    rerank_substitutes: bool = Field(
        False,
        description="a causal helper re-ranks 2n next-token candidates by the likelihood of "
        "the whole window with each in place (one full-depth pass per candidate); without, "
        "it takes the top n next tokens after the left context (2.4x faster, the same F1: "
        "bench/results/fidelity-helper.md)",
    )
    augment_pivot: bool = Field(
        True, description="also substitute the pivot (activating) token, as the public code did"
    )
    augment_context: bool = Field(
        True,
        description="substitute the important context tokens; off: the pivot alone (one "
        "token's pass a candidate, where a context token's runs from it to the pivot)",
    )
    augmented_saliency: Literal["measure", "inherit"] = Field(
        "measure",
        description='importances of a kept augmented example: "measure" masks each of its '
        'tokens again (one pass per token); "inherit" takes its origin\'s (they differ in one '
        "token, itself important), no pass",
    )
    n_examples: int = Field(
        20, ge=2, description="top examples per neuron split into train and test (paper: 20)"
    )
    extra_train_examples: int = Field(
        10,
        ge=0,
        description="recorded examples ranked after the top n_examples, added to training "
        "only (needs records with k > n_examples; the test split stays the paper's)",
    )
    sample_train_examples: int = Field(
        0,
        ge=0,
        description="windows of the records' activation-weighted sample added to training "
        "only (needs records with samples > 0): examples from every activation level",
    )
    train_fraction: float = Field(0.5, gt=0.0, lt=1.0)
    seed: int = Field(0, description="seed of the train/test split and the random windows")
    mask_token_id: int | None = Field(
        None, ge=0, description="masking token for saliency; None = the model's own"
    )
    batch_rows: int = Field(256, ge=1, description="sequences per forward pass")
    prune_block: int = Field(
        2,
        ge=1,
        description="prefix lengths tried in the first prune round (one more every fourth round)",
    )
    max_context: int | None = Field(
        32,
        ge=1,
        description="longest pruned context (tokens up to the pivot); a pivot that needs "
        "more keeps this many, its END still holding the full-context activation. None: "
        "no cap (the paper)",
    )
    fold_tokens: bool = Field(
        False,
        description="match tokens by their folded text (case and surrounding whitespace "
        "ignored, n2g.graph.token_fold) in the trie and both baselines",
    )
    grades: Grades = Field(
        "mean",
        description='levels below firing: each training token\'s "mean" (or "max") level, '
        "kept beside the trie and held below the firing threshold (n2g.builder.grades); "
        '"none": firing paths only (the paper)',
    )
    grade_floor: float = Field(
        0.0, ge=0.0, le=1.0, description="smallest level (|a / a_max|) a token's grade holds"
    )
    grade_tokens: int | None = Field(
        512,
        ge=1,
        description="most graded tokens per unit: those carrying most of the squared level "
        "over the training windows (None: all)",
    )
    bare_paths: BarePaths = Field(
        "keep",
        description='context-free firing paths: "keep" (the paper) or "verify": kept firing '
        "only where the token's mean training level fires (n2g.builder.grades)",
    )
    path_precision: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="a firing path keeps firing only where at least this fraction of its "
        "matches in the training windows fire, else falls to their mean level "
        "(n2g.builder.verify); 0: every path keeps its claim (the paper)",
    )
    bigram_paths: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="add the path (previous token, firing token) wherever that pair fires at "
        "at least this fraction of its positions in the training windows "
        "(n2g.builder.bigram_paths); 0: none (the paper)",
    )
    neurons_per_batch: int = Field(
        128,
        ge=1,
        description="neurons processed together (their identical sequences run once)",
    )
    ood_corpus: str | None = Field(
        None, description="a different corpus for the out-of-distribution check (None: skip)"
    )
    ood_windows: int = Field(64, ge=1, description="random windows of the OOD corpus")
    random_windows: int = Field(
        10,
        ge=0,
        description="random windows of the recording corpus pooled with the test windows "
        "for the correlation score, their 32-token slices delphi's non-activating contexts "
        "(0: neither score)",
    )

    keep_evidence: bool = Field(
        True,
        description="keep with each graph a snippet of every train and test window, with "
        "true and predicted activations (n2g.builder.evidence)",
    )
    output_tokens: int = Field(
        10,
        ge=0,
        le=1000,
        description="keep with each graph the tokens its unit's write direction promotes "
        "and suppresses most, this many of each (n2g.models.logit_lens; 0: none)",
    )

    @model_validator(mode="after")
    def _helper_spec(self) -> BuildConfig:
        from n2g.builder.helpers import HELPER_SPELLINGS, HELPERS

        if not HELPERS.knows(self.helper):
            raise ValueError(
                f"helper must be {HELPER_SPELLINGS}{HELPERS.installed_hint()}, not {self.helper!r}"
            )
        return self

    def settings(self, mask_token_id: int | None, dtype: str) -> BuildSettings:
        """The part of the config that determines a graph, stored with it."""
        # Every stored setting is a config field of the same name, except the mask token
        # and the model's number format, which belong to the model the graph was built with.
        shared = set(BuildSettings.model_fields) - {"mask_token_id", "dtype"}
        return BuildSettings(
            **self.model_dump(include=shared), mask_token_id=mask_token_id, dtype=dtype
        )
