"""neuron2graph: interpret language-model neurons as searchable graphs (Foote et al. 2023)."""

__version__ = "0.1.0"
