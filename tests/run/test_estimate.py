"""The start-up estimate of `n2g run`: each part of the job counted once, an SAE or a
transcoder beside the neurons included (its training only when it is not cached)."""

from __future__ import annotations

import pytest

from n2g.run.config import RunConfig
from n2g.run.estimate import (
    REFERENCE_RATE,
    REFERENCE_REST_SECONDS,
    REFERENCE_UNITS,
    TRAINING_SPEED,
    UnitSetWork,
    estimate_seconds,
    format_duration,
)


def test_the_main_job_at_the_reference_rate_is_its_recording_plus_the_reference_rest() -> None:
    config = RunConfig()
    record_s, total = estimate_seconds(config, REFERENCE_RATE, REFERENCE_UNITS, [])
    assert record_s == pytest.approx(1_048_576 / REFERENCE_RATE)
    assert total == pytest.approx(record_s + REFERENCE_REST_SECONDS)


def test_an_sae_adds_its_training_another_recording_and_its_build() -> None:
    config = RunConfig(sae="L3-mlp-8x")
    record_s, alone = estimate_seconds(config, REFERENCE_RATE, 1_536, [])
    untrained = UnitSetWork(training_tokens=524_288, n_units=4_608)
    _, with_sae = estimate_seconds(config, REFERENCE_RATE, 1_536, [untrained])
    training_s = 524_288 / (TRAINING_SPEED * REFERENCE_RATE)
    build_s = REFERENCE_REST_SECONDS * 4_608 / REFERENCE_UNITS
    assert with_sae - alone == pytest.approx(training_s + record_s + build_s)
    _, cached = estimate_seconds(
        config, REFERENCE_RATE, 1_536, [untrained._replace(training_tokens=0)]
    )
    assert with_sae - cached == pytest.approx(training_s)


def test_a_slower_machine_takes_longer_in_proportion() -> None:
    config = RunConfig()
    _, fast = estimate_seconds(config, REFERENCE_RATE, REFERENCE_UNITS, [])
    _, slow = estimate_seconds(config, REFERENCE_RATE / 4, REFERENCE_UNITS, [])
    assert slow == pytest.approx(4 * fast)
    assert format_duration(fast) == "6 min" and format_duration(slow) == "23 min"
