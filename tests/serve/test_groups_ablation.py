"""A group's stored ablation in the service: in /api/groups and as a cell of the groups
page, with the note saying how to measure it; unmeasured groups answer null."""

from __future__ import annotations

import pytest

from n2g.search.group_ablation import SetAblation, write_group_ablation
from tests.serve.graphs import first_group_ablation
from tests.serve.test_pages import assert_inert, page


@pytest.fixture(scope="module")
def measured(serve_db) -> tuple[str, SetAblation]:
    """The first level-0 group of the serve graphs, with an ablation written on it."""
    key, result = first_group_ablation(serve_db)
    write_group_ablation(serve_db, key, result)
    return key, result


def test_api_groups_carries_the_stored_result(client, measured) -> None:
    key, result = measured
    groups = client.get("/api/groups", params={"model": "hand", "level": 0}).json()["groups"]
    by_key = {g["key"]: g for g in groups}
    assert SetAblation.model_validate(by_key[key]["ablation"]) == result
    assert all(g["ablation"] is None for k, g in by_key.items() if k != key)


def test_groups_page_shows_it_and_says_how_to_measure(client, measured) -> None:
    html = page(client, "/groups?model=hand&level=0")
    assert "firing +0.125 [+0.100, +0.150]" in html
    assert "control +0.004" in html and "above 100% of 8" in html
    assert "n2g ablate --group KEY" in html
    assert_inert(html)
