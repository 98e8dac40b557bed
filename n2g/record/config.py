"""The record stage's settings (light: the CLI reads its option defaults from here)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The corpus recorded when none is named (`n2g record`, `n2g run`): Python's own
# documentation, installed by scripts/setup.sh from Debian's python3-doc.
DEFAULT_CORPUS = "python-docs"
CORPUS_HELP = (
    "stdlib | python-docs | debian-handbook | a file or folder | a .jsonl file | hf:NAME[:SPLIT]"
)
# The layers recorded when none are named (`n2g record`, `n2g run`): the first four, a
# slice of SmolLM2 that records and builds in the main job's 20 minutes.
DEFAULT_LAYERS = (0, 1, 2, 3)


class RecordConfig(BaseModel):
    """How to record: window shape, how many windows per neuron, how much of the corpus.

    Which model, corpus, layers and folder are the stage's arguments (`record_stage`), not
    settings. The records' identity (window, k, window limit, with the model, corpus and
    layers) must match to resume a folder; batch size and checkpointing may change.
    """

    model_config = ConfigDict(extra="forbid")

    # 256 tokens: long enough that a neuron's token rarely fires elsewhere in its window
    # (64 made token lookup unusually precise), as fast to record as 64 (1,024 is 2.5x
    # slower); k = 30: the top 20 split 10/10 as the paper's, ranks 21-30 train only.
    window: int = Field(default=256, ge=2, le=2048, description="tokens per window")
    k: int = Field(default=30, ge=1, le=1000, description="windows kept per neuron")
    batch_size: int = Field(default=32, ge=1, description="windows per forward pass")
    max_tokens: int | None = Field(
        default=1_048_576,  # 2**20: 4,096 windows of 256 tokens, the main job's corpus slice
        ge=1,
        description="stop after this many tokens (None: the whole corpus)",
    )
    max_windows: int | None = Field(default=None, ge=1)
    checkpoint_every: int = Field(default=4096, ge=1, description="windows between checkpoints")
    samples: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="windows per neuron drawn at random, weighted by the window's activation "
        "(all levels, not only the top), besides the top k; 0: none",
    )
    seed: int = Field(default=0, description="seed of the weighted sample")

    def window_limit(self) -> int | None:
        """The number of windows to scan (None = the whole corpus)."""
        limits = [x for x in (self.max_windows,) if x is not None]
        if self.max_tokens is not None:
            limits.append(max(1, self.max_tokens // self.window))
        return min(limits) if limits else None

    def identity(self, model_name: str, corpus_name: str, layers: list[int]) -> dict:
        """What defines the records: a resume or re-run must match it."""
        return {
            "model": model_name,
            "layers": layers,
            "corpus": corpus_name,
            "window": self.window,
            "k": self.k,
            "windows_limit": self.window_limit(),
            **({"samples": self.samples, "seed": self.seed} if self.samples else {}),
        }
