"""Which neurons `n2g run` builds: every one by default, a seeded sample on request."""

from __future__ import annotations

from n2g.run.config import RunConfig
from n2g.run.job import sample_units


def test_default_is_every_neuron_of_every_chosen_layer():
    config = RunConfig()
    assert config.neurons_per_layer is None and config.layers == [0, 1, 2, 3]
    assert sample_units(1536, config.neurons_per_layer, 0) == list(range(1536))
    assert RunConfig(layers=None).layers is None  # "all": resolved once the model is loaded


def test_a_sample_is_seeded_sorted_and_capped_at_all():
    picked = sample_units(1536, 64, 0)
    assert picked == sorted(picked) and len(set(picked)) == 64
    assert picked == sample_units(1536, 64, 0) != sample_units(1536, 64, 1)
    assert sample_units(10, 64, 0) == list(range(10))
