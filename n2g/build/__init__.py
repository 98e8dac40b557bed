"""The N2G builder (paper section 3.2): prune, saliency, augment, trie, evaluate, render.

Names are imported lazily: `n2g.build.trie` (numpy only) is used by the search layer and
the CLI, which should not pay for importing torch and transformer_lens.
"""

from importlib import import_module

_EXPORTS = {
    "BuildConfig": "n2g.build.config",
    "BuildSummary": "n2g.build.builder",
    "Shard": "n2g.build.builder",
    "build_graphs": "n2g.build.builder",
    "OODData": "n2g.build.pipeline",
    "build_neuron_graphs": "n2g.build.pipeline",
    "ood_provider": "n2g.build.pipeline",
    "NeuronTrie": "n2g.build.trie",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'n2g.build' has no attribute {name!r}")
