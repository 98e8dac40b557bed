"""Sparse autoencoders and transcoders (SAELens) whose latents n2g explains beside neurons.

- `spec`: the `--sae SPEC` strings (train here, a local folder, or a SAELens release);
  `L<layer>-tc-<N>x` names a transcoder of that layer's MLP;
- `units`: `SAEUnits` (hook, width, `encode`) and `load_units`, the entry point;
- `train`: offline training with SAELens' trainer on a NeuronModel's activations;
- `transcoder`: offline training of a transcoder (MLP input -> output), n2g's own loop;
- `acts`: a hook's activations over corpus windows;
- `quality`: explained variance, L0 and dead latents on held-out windows;
- `cache`: the `<cache>/saes/<model>/<spec name>/` folders.

Importing this package is light: torch and sae_lens load only when an SAE is used.
"""

from n2g.sae.quality import SAEQuality
from n2g.sae.spec import (
    PathSAESpec,
    ReleaseSAESpec,
    SAESpec,
    TrainedSAESpec,
    TrainedTranscoderSpec,
    parse_sae_spec,
)
from n2g.sae.train import SAETrainConfig
from n2g.sae.units import SAEUnits, load_units

__all__ = [
    "PathSAESpec",
    "ReleaseSAESpec",
    "SAEQuality",
    "SAESpec",
    "SAETrainConfig",
    "SAEUnits",
    "TrainedSAESpec",
    "TrainedTranscoderSpec",
    "load_units",
    "parse_sae_spec",
]
