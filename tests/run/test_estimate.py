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


def test_the_circuits_stage_scales_each_target_layer_by_its_depth() -> None:
    from n2g.run.estimate import circuits_seconds

    # 8 targets in 4 s at layer 3: 0.5 s a target there, 2/4 and 3/4 of it at layers 1, 2
    seconds = circuits_seconds(4.0, 8, 3, [0, 1, 2, 3], 1_536)
    assert seconds == pytest.approx(0.5 * (2 / 4 + 3 / 4 + 1) * 1_536)
    assert circuits_seconds(4.0, 8, 3, [3], 1_536) == 0


def test_the_start_line_times_an_attribution_pass_when_circuits_are_on() -> None:
    from n2g.circuits.windows import DATA_WINDOWS
    from n2g.models.attribution import ROWS_PER_PASS
    from n2g.record.config import RecordConfig
    from n2g.run.estimate import attribution_pass_seconds, job_estimate_line
    from tests.circuits.planted import planted_model

    model = planted_model()  # a tiny model, one torch thread
    seconds, targets = attribution_pass_seconds(model, 1)
    assert seconds > 0 and targets == ROWS_PER_PASS // DATA_WINDOWS
    record = RecordConfig(window=16, batch_size=2, max_windows=8)
    plain = job_estimate_line(model, RunConfig(record=record, layers=[0, 1]), [0, 1], 64)
    line = job_estimate_line(
        model, RunConfig(record=record, layers=[0, 1], circuits=True), [0, 1], 64
    )
    assert "circuits about" in line and "circuits" not in plain
