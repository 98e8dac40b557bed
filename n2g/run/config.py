"""The main job's settings: the stages' own configs, composed, with the job's defaults.

Light on purpose (pydantic only): the CLI builds its option defaults from these objects.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from n2g.builder.config import BuildConfig
from n2g.models import OFFLINE_MODEL
from n2g.record.config import RecordConfig
from n2g.search.similarity import SimilarityConfig


def _record_defaults() -> RecordConfig:
    return RecordConfig(max_tokens=1_048_576)


def _build_defaults() -> BuildConfig:
    # The out-of-distribution check is on. Augmentation is off by default: with every
    # firing token a pivot, the offline causal helper's full-depth passes made a batch of
    # 32 neurons take minutes (turn it on with --helper causal; speeding it up is the
    # scale issue's work).
    return BuildConfig(helper="none", ood_corpus="stdlib")


class RunConfig(BaseModel):
    """Everything `n2g run` needs; the defaults are the offline slice of SmolLM2."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        OFFLINE_MODEL,
        min_length=1,
        description="smollm2-135m (offline), a transformer_lens name, or a local HF folder",
    )
    layers: list[int] | None = Field(
        default_factory=lambda: [0, 1, 2, 3],
        min_length=1,
        description="layers to explain (None: every layer of the model)",
    )
    neurons_per_layer: int | None = Field(
        None, ge=1, description="a seeded sample of N neurons per layer (unset: every neuron)"
    )
    neuron_seed: int = 0
    corpus: str = Field("python-docs", description="corpus the top-k examples come from")
    record: RecordConfig = Field(default_factory=_record_defaults)
    build: BuildConfig = Field(default_factory=_build_defaults)
    similarity: SimilarityConfig = Field(default_factory=SimilarityConfig)
    out: Path = Field(Path("n2g-run"), description="working folder (resumable)")
    device: str = Field("cpu", description="cpu or cuda")

    @field_validator("layers")
    @classmethod
    def _layers(cls, layers: list[int] | None) -> list[int] | None:
        if layers is None:
            return None
        if min(layers) < 0:
            raise ValueError("layers must be >= 0")
        return sorted(set(layers))

    @property
    def records_dir(self) -> Path:
        return self.out / "records"

    @property
    def graph_file(self) -> Path:
        return self.out / "graphs.jsonl"

    @property
    def report_dir(self) -> Path:
        return self.out / "report"
