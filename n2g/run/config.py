"""The main job's settings: the stages' own configs, composed, with the job's defaults.

Light on purpose (pydantic only): the CLI builds its option defaults from these objects.
Beside the MLP neurons a run may explain two more unit sets of one layer (the vocabulary
of n2g.graph.key), an SAE (`sae`) and a transcoder (`transcoder`): those two fields are the
`--sae` and `--transcoder` options, a spec of each kind (the kind is checked, so a
transcoder given as an SAE fails before any work). The job reads them only as `unit_sets`:
each gets its own records folder and graph file, named after it (`UnitSetRun`), so that
the report compares the three on the same layer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from n2g.builder.config import BuildConfig
from n2g.cluster.executor import ClusterConfig, Executor
from n2g.errors import N2GError
from n2g.models import OFFLINE_MODEL
from n2g.models.dtype import DEFAULT_DTYPE, DTYPE_HELP, Dtype
from n2g.record.config import CORPUS_HELP, DEFAULT_CORPUS, DEFAULT_LAYERS, RecordConfig
from n2g.report.coactivation import CoactivationConfig
from n2g.search.communities import CommunityConfig
from n2g.search.similarity import SimilarityConfig


def _build_defaults() -> BuildConfig:
    # The out-of-distribution check is on. Augmentation is off by default: the causal
    # helper's 30-layer passes (one per pruned example, every firing token a pivot) make
    # the build of layers 0-3 many times longer (in bfloat16, its first 1,920 neurons took
    # 6 min, against 5.4 min for all 6,144 without), far beyond the main job's 20 minutes,
    # for +0.00 to +0.03 F1 (bench/results/fidelity-helper.md); --helper causal turns it on.
    return BuildConfig(helper="none", ood_corpus="stdlib")


class UnitSetRun(BaseModel):
    """One unit set of a run beside its neurons: its spec and where its files go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    option: Literal["sae", "transcoder"] = Field(description="the RunConfig field it came from")
    spec: str
    label: str = Field(description="its name as a file-name part (L3-mlp-8x)")
    records_dir: Path
    graph_file: Path


def _spec_kind(text: str, option: Literal["sae", "transcoder"]) -> str:
    """The canonical spec; a trained spec of the other kind is an error naming the option."""
    from n2g.sae.spec import TrainedSAESpec, TrainedTranscoderSpec, parse_sae_spec

    spec = parse_sae_spec(text)
    if option == "sae" and isinstance(spec, TrainedTranscoderSpec):
        raise N2GError(f"{spec.text} is a transcoder: give it as --transcoder {spec.text}")
    if option == "transcoder" and isinstance(spec, TrainedSAESpec):
        raise N2GError(
            f"{spec.text} is an SAE (give it as --sae); a transcoder is L<layer>-tc-<N>x, "
            "path:<folder> or release:<release>/<id>"
        )
    return spec.text


def _label(spec: str) -> str:
    from n2g.sae.spec import parse_sae_spec

    return re.sub(r"[^A-Za-z0-9._-]+", "-", parse_sae_spec(spec).name.split(":", 1)[1])


class RunConfig(BaseModel):
    """Everything `n2g run` needs; the defaults are the offline slice of SmolLM2."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        OFFLINE_MODEL,
        min_length=1,
        description="smollm2-135m (offline), a transformer_lens name, or a local HF folder",
    )
    layers: list[int] | None = Field(
        default_factory=lambda: list(DEFAULT_LAYERS),
        min_length=1,
        description="layers to explain (None: every layer of the model)",
    )
    neurons_per_layer: int | None = Field(
        None, ge=1, description="a seeded sample of N neurons per layer (unset: every neuron)"
    )
    neuron_seed: int = 0
    corpus: str = Field(DEFAULT_CORPUS, description=CORPUS_HELP)
    record: RecordConfig = Field(default_factory=RecordConfig)
    build: BuildConfig = Field(default_factory=_build_defaults)
    similarity: SimilarityConfig = Field(default_factory=SimilarityConfig)
    communities: CommunityConfig | None = Field(
        default_factory=CommunityConfig,
        description="the nested communities of the similarity graph (None: none)",
    )
    coactivation: CoactivationConfig | None = Field(
        default_factory=CoactivationConfig,
        description="check the relations against the model's activations (None: skip)",
    )
    sae: str | None = Field(
        None,
        description="also explain the latents of this SAE (n2g.sae.spec, e.g. L3-mlp-8x: "
        "trained once here), stored beside the neurons and compared with its layer's",
    )
    transcoder: str | None = Field(
        None,
        description="also explain the latents of this transcoder (n2g.sae.spec, e.g. "
        "L3-tc-8x: trained once here from the MLP's input to its output), stored beside "
        "the neurons and compared with its layer's (and the SAE's)",
    )
    circuits: bool = Field(
        False,
        description="after ingest, FEEDS edges among the run's stored units of its layers, "
        "by activation x gradient on the run's records (n2g feeds --source data)",
    )
    circuits_check: int = Field(
        0,
        ge=0,
        description="with --circuits: check this many units a layer by ablating their "
        "feeders (0: none; each unit costs a few batched passes on its test windows)",
    )
    out: Path = Field(Path("n2g-run"), description="working folder (resumable)")
    device: str = Field("cpu", description="cpu or cuda")
    dtype: Dtype = Field(DEFAULT_DTYPE, description=DTYPE_HELP)
    executor: Executor = Field(
        Executor.local,
        description="where record and build run: local (this process) | ray (a Ray "
        "cluster; pip install 'neuron2graph[ray]')",
    )
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)

    @field_validator("sae")
    @classmethod
    def _sae(cls, sae: str | None) -> str | None:
        if sae is None:
            return None
        return _spec_kind(sae, "sae")  # a bad spec fails here, before any work

    @field_validator("transcoder")
    @classmethod
    def _transcoder(cls, transcoder: str | None) -> str | None:
        return None if transcoder is None else _spec_kind(transcoder, "transcoder")

    @field_validator("layers")
    @classmethod
    def _layers(cls, layers: list[int] | None) -> list[int] | None:
        if layers is None:
            return None
        if min(layers) < 0:
            raise ValueError("layers must be >= 0")
        return sorted(set(layers))

    @model_validator(mode="after")
    def _circuits(self) -> RunConfig:
        # Refused before any work: the edges come after minutes of recording and building.
        if self.circuits_check and not self.circuits:
            raise N2GError("--circuits-check needs --circuits")
        if self.circuits and self.layers is not None and len(self.layers) < 2:
            raise N2GError(
                "--circuits needs two layers or more: edges link a layer to earlier ones"
            )
        return self

    @property
    def records_dir(self) -> Path:
        return self.out / "records"

    @property
    def graph_file(self) -> Path:
        return self.out / "graphs.jsonl"

    @property
    def unit_sets(self) -> list[UnitSetRun]:
        """The SAE and the transcoder of the run, those given, in that order."""
        sets = []
        for option, prefix, spec in (
            ("sae", "sae", self.sae),
            ("transcoder", "tc", self.transcoder),
        ):
            if spec is not None:
                label = _label(spec)
                sets.append(
                    UnitSetRun(
                        option=option,
                        spec=spec,
                        label=label,
                        records_dir=self.out / f"records-{prefix}-{label}",
                        graph_file=self.out / f"graphs-{prefix}-{label}.jsonl",
                    )
                )
        return sets

    @property
    def report_dir(self) -> Path:
        return self.out / "report"
